"""Long tier: motion statistics over many seeds (not in CI; scripts/test-long.sh).

Runs the open field for 30 min with 10 seeds and checks that the mean over seeds of the mean speed
and of the rotational-velocity std are within 3 % of the configured values (seed-to-seed spread
of a 30-min run is about 2 %, so the mean over 10 seeds has a standard error below 1 %) and that
every seed is within 10 %.
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]
speeds, rots = [], []
with tempfile.TemporaryDirectory() as d:
    for seed in range(1, 11):
        out = os.path.join(d, f"s{seed}.h5")
        subprocess.run([AMMON, "run", os.path.join(SRC, "data/configs/open_field.ini"), "-o", out,
                        "--seed", str(seed), "--quiet", "--set", "protocol.epochs=run 1800 s",
                        "--set", "cells.n=50"], check=True)
        with h5py.File(out) as f:
            sp = f["behavior/speed"][()]
            hd = np.unwrap(f["behavior/head_dir"][()])
            dt = np.median(np.diff(f["behavior/t"][()]))
        speeds.append(sp.mean() * 100)
        rots.append(np.degrees(np.std(np.diff(hd) / dt)))
speeds, rots = np.array(speeds), np.array(rots)
ok = [abs(speeds.mean() / 8 - 1) < 0.03, abs(rots.mean() / 120 - 1) < 0.03,
      bool(np.all(np.abs(speeds / 8 - 1) < 0.1)), bool(np.all(np.abs(rots / 120 - 1) < 0.1))]
print(f"mean speed over seeds {speeds.mean():.2f} cm/s (8), spread {speeds.std():.2f}")
print(f"rotational velocity std over seeds {rots.mean():.1f} deg/s (120), spread {rots.std():.1f}")
print(f"{sum(ok)} passed, {len(ok) - sum(ok)} failed")
sys.exit(0 if all(ok) else 1)
