"""Long tier: issue 8's replay ablations over 10 seeds (not in CI; scripts/test-long.sh).

Runs data/configs/sweeps/navigation.ini (5 arms x 10 seeds, `ammon sweep` with two workers; about
15 min on two cores) and checks it with tests/science/check_navigation.py --check: every arm on
the same seeds, equal budgets (replay updates per event; the buffer and sweep arms within 25 % of
network replay's per seed), no replay update without replay, shuffled replay not better than no
replay. The learning curves, update counts and paired Wilcoxon tests against no replay are
printed (docs/experiments/navigation.md). Set AMMON_NAV_EXPECT_GAIN=1 to check issue 8's
must-show as well (network replay better than none, p < 0.05, on the first 20 decisions after
reward onset and after the goal change): it is not met by this model yet.
"""
import os
import subprocess
import sys
import tempfile

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "navigation")
    subprocess.run([AMMON, "sweep", os.path.join(SRC, "data/configs/sweeps/navigation.ini"), "-o",
                    out, "-j", "2", "--quiet"], check=True)
    args = [sys.executable, os.path.join(SRC, "tests/science/check_navigation.py"), out,
            "--check"]
    if os.environ.get("AMMON_NAV_EXPECT_GAIN") == "1":
        args.append("--expect-network-gain")
    sys.exit(subprocess.run(args).returncode)
