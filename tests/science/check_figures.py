#!/usr/bin/env python3
"""Issue 9: the figure notebooks execute headless and write their PNGs.

Usage: check_figures.py OUT [--run]
  --run   first run `scripts/figures.sh --short --out OUT --build $AMMON_DIR` (ctest does this;
          AMMON is the binary, AMMON_SOURCE the source folder), then check.

Checks, each can fail:
  1. every figure notebook of the source tree (notebooks/*.ipynb except sweep.ipynb, which
     tests/sweep runs) has an executed copy in OUT/notebooks, every code cell of it ran
     (execution_count set) and no cell output is an error;
  2. every figure a notebook saves (`af.save(fig, "NAME")` in its source) is OUT/figures/NAME.png,
     and the executed notebook printed that it wrote it;
  3. every PNG is a real picture: at least 400 x 250 pixels and 20 kB, and not blank: the grey
     levels vary (standard deviation > 0.05 on a 0-1 scale) and more than 2 % of the pixels differ
     from the background colour (a figure with empty axes only has a few per cent of ink: axes,
     ticks and labels; the thresholds catch a blank or a failed savefig, not an empty panel).
"""
import glob
import json
import os
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

from am_read import verdict

SRC = os.environ.get("AMMON_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def png_problem(path):
    if os.path.getsize(path) < 20_000:
        return f"{os.path.getsize(path)} bytes (< 20 kB)"
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    if w < 400 or h < 250:
        return f"{w} x {h} pixels (< 400 x 250)"
    grey = img[..., :3].mean(axis=2) if img.ndim == 3 else img
    if grey.std() <= 0.05:
        return f"blank: grey-level SD {grey.std():.3f} <= 0.05"
    vals, counts = np.unique(np.round(grey, 2), return_counts=True)
    bg = vals[np.argmax(counts)]
    ink = float(np.mean(np.abs(grey - bg) > 0.02))
    if ink <= 0.02:
        return f"blank: {ink:.1%} of the pixels differ from the background"
    return None


def main():
    out = os.path.abspath(sys.argv[1])
    if "--run" in sys.argv[2:]:
        ammon = os.environ["AMMON"]
        cmd = [os.path.join(SRC, "scripts", "figures.sh"), "--short", "--out", out, "--build",
               os.path.dirname(ammon), "--no-build", "-j", str(min(2, os.cpu_count() or 1))]
        print("+", " ".join(cmd), flush=True)
        r = subprocess.run(cmd)
        print(f"figures.sh exit status {r.returncode}")
    fails = []
    sources = sorted(p for p in glob.glob(os.path.join(SRC, "notebooks", "*.ipynb"))
                     if os.path.basename(p) != "sweep.ipynb")
    if not sources:
        fails.append("no figure notebooks in notebooks/")
    n_png = 0
    for src in sources:
        name = os.path.basename(src)
        with open(src) as f:
            code = "".join("".join(c["source"]) for c in json.load(f)["cells"]
                           if c["cell_type"] == "code")
        figs = re.findall(r"""af\.save\(\s*\w+\s*,\s*["']([\w.-]+)["']\s*\)""", code)
        if not figs:
            fails.append(f"{name}: saves no figure (no af.save(fig, \"NAME\"))")
        ex = os.path.join(out, "notebooks", name)
        if not os.path.exists(ex):
            log = os.path.join(out, "notebooks", name.replace(".ipynb", ".log"))
            fails.append(f"{name}: no executed copy {ex}: it failed (see {log}) or it is not in "
                         "scripts/figures.sh NOTEBOOKS")
            continue
        with open(ex) as f:
            cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
        printed = ""
        for i, c in enumerate(cells):
            if c.get("execution_count") is None:
                fails.append(f"{name}: code cell {i} did not run")
            for o in c.get("outputs", []):
                if o.get("output_type") == "error":
                    fails.append(f"{name}: code cell {i}: {o.get('ename')}: {o.get('evalue')}")
                if o.get("output_type") == "stream":
                    printed += "".join(o.get("text", ""))
        for fig in figs:
            png = os.path.join(out, "figures", fig + ".png")
            if not os.path.exists(png):
                fails.append(f"{name}: {fig}.png missing")
                continue
            if f"{fig}.png" not in printed:
                fails.append(f"{name}: the executed notebook did not write {fig}.png")
            p = png_problem(png)
            if p:
                fails.append(f"{fig}.png: {p}")
            else:
                n_png += 1
                print(f"ok {name}: {fig}.png ({os.path.getsize(png) // 1000} kB)")
    print(f"{len(sources)} notebooks, {n_png} good PNGs")
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
