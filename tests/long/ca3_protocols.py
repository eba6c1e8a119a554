"""Long tier: the CA3 network's replay after 5, 10 and 20 laps on a 2 m track and 10 laps on a
3 m track (issue 4; not in CI, scripts/test-long.sh; about 40 min on one core).

Each protocol runs data/configs/ca3_replay.ini (seed 1) with its laps and track, analyses the
network's spikes and LFP with `ammon analyze --set analysis.units=network` and applies the checks
of tests/science/check_network_replay.py (the same windows as the CI run of 10 laps on 2 m).
Passes when every protocol passes every check.
"""
import os
import subprocess
import sys
import tempfile

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]
CHECK = os.path.join(SRC, "tests/science/check_network_replay.py")
PROTOCOLS = [("laps5", 5, 200), ("laps10", 10, 200), ("laps20", 20, 200), ("track3m", 10, 300)]
failed = []
with tempfile.TemporaryDirectory() as d:
    for name, laps, size in PROTOCOLS:
        out = os.path.join(d, name + ".h5")
        subprocess.run([AMMON, "run", os.path.join(SRC, "data/configs/ca3_replay.ini"), "-o", out,
                        "--quiet", "--set", f"protocol.epochs=run {laps} laps, rest 60 s, sleep 60 s",
                        "--set", f"maze.size_cm={size}"], check=True)
        subprocess.run([AMMON, "analyze", out, "-o", os.path.join(d, name + "_analysis.h5"),
                        "--quiet", "--set", "analysis.units=network",
                        "--set", "analysis.si_shuffles=100",
                        "--set", "analysis.spectrum_lo_hz=100"], check=True)
        r = subprocess.run([sys.executable, CHECK, d, name], env=os.environ)
        if r.returncode:
            failed.append(name)
print("FAIL: " + ", ".join(failed) if failed else "PASS: every protocol")
sys.exit(1 if failed else 0)
