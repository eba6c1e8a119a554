"""Real-time factor of 10 min of track running with 1,000 place cells (dt = 1 ms).

Runs `ammon run` on the linear track (protocol 'run 600 s', 1,000 cells) several times and reports
the median real-time factor (simulated seconds per wall second, whole command including HDF5 output)
and its ratio to RatInABox's, measured on this kind of machine (2 vCPU): 13x real time with 1,000
place cells at dt = 10 ms (19x with 100). RatInABox is not installable here (PyPI is not
reachable), so its number is that anchor, not a same-run measurement; ammon runs at a 10x finer
time step than the anchor.

Usage: /usr/bin/python3 bench/track_rtf.py [path/to/ammon] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

RATINABOX_RTF_1000 = 13.0  # x real time, 1,000 place cells, dt = 10 ms, this machine kind
TARGET_RATIO = 100.0

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("ammon", nargs="?", default=os.path.join(root, "build", "release", "ammon"))
ap.add_argument("--runs", type=int, default=5)
opt = ap.parse_args()
ammon, runs = opt.ammon, opt.runs

sim_s = 600.0
walls = []
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "bench.h5")
    for i in range(runs):
        t0 = time.perf_counter()
        subprocess.run([ammon, "run", os.path.join(root, "data/configs/linear_track.ini"),
                        "-o", out, "--quiet", "--set", "protocol.epochs=run 600 s",
                        "--set", "cells.n=1000", "--set", "run.dt_ms=1"], check=True)
        walls.append(time.perf_counter() - t0)
        size = os.path.getsize(out)
med = statistics.median(walls)
rtf = sim_s / med
ratio = rtf / RATINABOX_RTF_1000
print(f"ammon: 600 s of linear-track running, 1,000 place cells, dt 1 ms, {runs} runs")
print(f"  wall times (s): {', '.join(f'{w:.3f}' for w in walls)}; median {med:.3f} s")
print(f"  real-time factor: {rtf:.0f}x real time (file {size / 1e6:.1f} MB)")
print(f"  ratio to RatInABox anchor ({RATINABOX_RTF_1000:.0f}x at dt 10 ms): {ratio:.0f}x "
      f"(target >= {TARGET_RATIO:.0f}x)")
sys.exit(0 if ratio >= TARGET_RATIO else 1)
