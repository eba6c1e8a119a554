"""Real-time factor of the rate backend with 1,000 units (issue 6: at least 50x real time).

Two measurements, alternated, medians of --runs each:
  live  BUILD/rate_bench (the simulation stepped through am_sim_step without a session file, as a
        viewer runs it; per epoch kind and for the network step alone, see bench/rate_bench.c);
  file  the whole `ammon run CONFIG -o FILE --quiet` (config parsing, the HDF5 file with every
        spike and the LFP, the end-of-run writes), timed as a child process (wall and CPU).
The target (exit 1 below it) applies to the live simulation's CPU real-time factor; the full run
is reported beside it. CPU time is used because this kind of machine is shared: wall time is
reported too.

Usage: /usr/bin/python3 bench/rate_rtf.py [--build build/release] [--runs 3]
       [--config data/configs/rate_replay.ini] [--target 50]
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--build", default=os.path.join(root, "build", "release"))
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--config", default=os.path.join(root, "data", "configs", "rate_replay.ini"))
ap.add_argument("--target", type=float, default=50.0)
opt = ap.parse_args()
bench = os.path.join(opt.build, "rate_bench")
ammon = os.path.join(opt.build, "ammon")


def child_times(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    return out, wall, cpu


live = {}  # key -> list of values over runs
file_wall, file_cpu, sim_s = [], [], None
with tempfile.TemporaryDirectory() as d:
    h5 = os.path.join(d, "rate.h5")
    for i in range(opt.runs):
        out, _, _ = child_times([bench, opt.config, "--repeats", "1"])
        for line in out.splitlines():
            k, _, v = line.partition(" ")
            try:
                x = float(v)
            except ValueError:
                continue
            live.setdefault(k, []).append(x)
        _, w, c = child_times([ammon, "run", opt.config, "-o", h5, "--quiet"])
        file_wall.append(w)
        file_cpu.append(c)
        size = os.path.getsize(h5)

med = {k: statistics.median(v) for k, v in live.items()}
sim_s = med["step_all_sim_s"]
print(f"rate backend, {int(med['units'])} units, {sim_s:.1f} s simulated, {opt.runs} runs "
      f"(medians; real-time factor = simulated s / CPU s, wall in brackets)")
for what, title in (("step", "live simulation (am_sim_step, no file)"),
                    ("network", "network step alone (am_rate)")):
    if f"{what}_all_rtf_cpu" not in med:
        continue
    parts = []
    for kind in ("run", "rest", "sleep", "all"):
        if f"{what}_{kind}_rtf_cpu" in med:
            parts.append(f"{kind} {med[f'{what}_{kind}_rtf_cpu']:.0f}x "
                         f"({med[f'{what}_{kind}_rtf_wall']:.0f}x)")
    print(f"  {title}: " + ", ".join(parts))
fw, fc = statistics.median(file_wall), statistics.median(file_cpu)
print(f"  whole `ammon run` with the HDF5 file ({size / 1e6:.1f} MB): {sim_s / fc:.0f}x "
      f"({sim_s / fw:.0f}x); CPU {fc:.2f} s, wall {fw:.2f} s")
if med.get("net_copy_identical", 1) != 1:
    print("FAIL: the network-alone replay did not reproduce the simulation's network")
    sys.exit(1)
ok = med["step_all_rtf_cpu"] >= opt.target
print(f"{'PASS' if ok else 'FAIL'}: live simulation {med['step_all_rtf_cpu']:.0f}x real time "
      f"(target >= {opt.target:.0f}x)")
sys.exit(0 if ok else 1)
