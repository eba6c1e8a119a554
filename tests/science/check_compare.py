#!/usr/bin/env python3
"""Issue 9: `ammon compare` on the science fixtures' analysis files.

Usage: check_compare.py DIR SCOPE NAME [NAME ...]: analysis files DIR/NAME_analysis.h5 (several
names = several seeds of one experiment) and SCOPE, the comma-separated observables the
experiment is built to show (each fixture's scope is set, with its reason, in tests/CMakeLists.txt).

1. Prints the whole table (every check of data/reference/checks.csv): the model beside the
   recorded ranges. Rows outside the scope are reported, not enforced: a must-check that fails
   there is listed as "must-check failed outside the scope" so that it stays visible.
2. `ammon compare --strict --only SCOPE` must exit 0: every must-check in the scope passes (NA
   does not count as a pass: a must-check in the scope that is NA fails this test too, since the
   fixture was chosen to provide its data).
"""
import json
import os
import subprocess
import sys

from am_read import verdict

AMMON = os.environ["AMMON"]


def main():
    d, scope, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = [f"{d}/{n}_analysis.h5" for n in names]
    full = subprocess.run([AMMON, "compare", *files], capture_output=True, text=True)
    print(full.stdout, end="")
    if full.returncode != 0:
        print(full.stderr, end="")
        print("FAILED: ammon compare exited", full.returncode)
        return 1
    js = subprocess.run([AMMON, "compare", *files, "--json"], capture_output=True, text=True)
    rows = json.loads(js.stdout)["rows"]
    wanted = scope.split(",")
    fails = []
    for r in rows:
        if r["observable"] in wanted:
            if r["level"] == "must" and r["result"] != "pass":
                fails.append(f"{r['observable']} = {r['value']} ({r['result']}; window "
                             f"{r['lo']}..{r['hi']}) {r['why']}")
        elif r["level"] == "must" and r["result"] == "FAIL":
            print(f"reported: must-check failed outside the scope: {r['observable']} = "
                  f"{r['value']:.3g} (window {r['lo']}..{r['hi']})")
    missing = [w for w in wanted if w not in [r["observable"] for r in rows]]
    if missing:
        fails.append("not in the checks table: " + ", ".join(missing))
    strict = subprocess.run([AMMON, "compare", *files, "--strict", "--only", scope],
                            capture_output=True, text=True)
    if strict.returncode != (3 if fails else 0):
        fails.append(f"--strict exited {strict.returncode}: {strict.stderr.strip()}")
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
