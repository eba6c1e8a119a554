#!/usr/bin/env python3
"""Issue 9: the network fixtures analysed as recorded, a random sample of N cells.

Usage: check_ensemble_size.py SCI_DIR N DRAWS NAME [NAME ...]

Recordings hold tens of cells (data/reference/facts.csv `ensemble_size_tetrode`,
`ensemble_size_replay`), the model's analysis every cell of the network. Both decoding-based
must-checks of data/reference/checks.csv depend on that number: with every one of 1,000-2,000
cells the decoder is far more precise than recorded (1-2 cm against 5-9 cm) and almost every
candidate event is a significant replay (0.52-0.75 against 0.10-0.52). docs/compare.md,
"Comparing like with like", sets the recorded sample N by the decoder's error while running
(calibrated: N where the error reaches the recorded range) and reads the fraction of significant
replays at that N as the test.

For each session SCI_DIR/NAME.h5 (its all-cell analysis SCI_DIR/NAME_analysis.h5 exists), DRAWS
analyses with `analysis.sample_cells = N` and analysis seeds 1..DRAWS (different samples), then:
1. `ammon compare` over the draws (mean and t-interval over draws): `decode_error_run_m` and
   `fraction_significant` must pass (--strict --only).
2. The direction of the effect, against the all-cell analysis: the sample decodes worse (mean
   error over draws above the all-cell error) and finds a smaller fraction significant (mean
   over draws below the all-cell fraction). Either can fail: a sample that changed nothing, or
   an analysis that ignored analysis.sample_cells, fails both.
"""
import json
import os
import subprocess
import sys

import h5py

from am_read import verdict

AMMON = os.environ["AMMON"]
OBS = "decode_error_run_m,fraction_significant"


def summary(path):
    with h5py.File(path, "r") as f:
        s = f["summary"].attrs
        keys = ("fraction_significant", "decode_error_median_m", "n_units", "n_units_input",
                "n_decoded")
        return {k: float(s[k]) if k in s else float("nan") for k in keys}


def main():
    d, n, draws, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    fails = []
    for name in names:
        files = []
        for k in range(1, draws + 1):
            out = f"{d}/{name}_n{n}_d{k}_analysis.h5"
            cmd = [AMMON, "analyze", f"{d}/{name}.h5", "-o", out, "--quiet",
                   "--set", "analysis.units=network", "--set", "analysis.si_shuffles=0",
                   "--set", f"analysis.sample_cells={n}", "--set", f"analysis.seed={k}"]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                fails.append(f"{name}: {' '.join(cmd)} exited {p.returncode}: {p.stderr}")
                break
            files.append(out)
        if len(files) != draws:
            continue
        full = summary(f"{d}/{name}_analysis.h5")
        per = [summary(f) for f in files]
        print(f"{name}: all {full['n_units']:.0f} cells: fraction significant "
              f"{full['fraction_significant']:.3f}, decoding error "
              f"{100 * full['decode_error_median_m']:.2f} cm")
        for k, s in enumerate(per, 1):
            if s["n_units"] != n or s["n_units_input"] != full["n_units"]:
                fails.append(f"{name} draw {k}: {s['n_units']:.0f} of {s['n_units_input']:.0f} "
                             f"units analysed, expected {n} of {full['n_units']:.0f}")
            print(f"  sample {n}, draw {k}: {s['n_decoded']:.0f} decoded events, fraction "
                  f"significant {s['fraction_significant']:.3f}, decoding error "
                  f"{100 * s['decode_error_median_m']:.2f} cm")
        js = subprocess.run([AMMON, "compare", *files, "--json", "--only", OBS],
                            capture_output=True, text=True)
        if js.returncode != 0:
            fails.append(f"{name}: ammon compare exited {js.returncode}: {js.stderr}")
            continue
        rows = {r["observable"]: r for r in json.loads(js.stdout)["rows"]}
        for o in OBS.split(","):
            r = rows[o]
            print(f"  {o}: {r['value']:.4g} (95% CI {r['ci'][0]:.4g}..{r['ci'][1]:.4g} over "
                  f"{r['n']} {'draws' if draws > 1 else r['over']}), window {r['lo']}..{r['hi']}: {r['result']}")
            if r["result"] != "pass":
                fails.append(f"{name}: {o} = {r['value']:.4g} outside {r['lo']}..{r['hi']}")
        # 2. the direction of the effect: means over draws against the all-cell analysis
        fr = [s["fraction_significant"] for s in per if s["n_decoded"] > 0]
        er = [s["decode_error_median_m"] for s in per]
        if not fr or sum(fr) / len(fr) >= full["fraction_significant"]:
            fails.append(f"{name}: the sample's fraction significant ({fr}) is not below the "
                         f"all-cell one ({full['fraction_significant']:.3f})")
        if sum(er) / len(er) <= full["decode_error_median_m"]:
            fails.append(f"{name}: the sample's decoding error ({er}) is not above the all-cell "
                         f"one ({full['decode_error_median_m']:.4f} m)")
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
