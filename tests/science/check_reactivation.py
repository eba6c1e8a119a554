"""PRE/POST sleep reactivation (Wilson & McNaughton 1994; Kudrimoti, Barnes & McNaughton 1999):
after the network learns the track, the pairwise correlations of its units in POST sleep resemble
those of the run, beyond what PRE sleep (before any learning) explains; without plasticity they
do not.

Usage: check_reactivation.py SCIENCE_DIR PLASTIC CONTROL
Reads /reactivation of SCIENCE_DIR/NAME_analysis.h5 (data/configs/prepost_sleep.ini, analysed with
`ammon analyze --set analysis.units=network`; the control is the same run with network.stdp =
off). Checks (seeded runs, deterministic):
- plastic: EV >= 0.1 and EV > REV + 0.1. The recorded finding is EV well above REV (Kudrimoti et
  al. 1999; data/reference/facts.csv reactivation_ev_gt_rev); 0.1 of variance explained is a
  clear margin over a REV that is near 0 when PRE correlations are unrelated to the run's
  (measured: EV 0.38, REV 0.000);
- plastic: EV above its null distribution (cell-identity shuffles of the RUN correlations):
  EV > the shuffles' 95th percentile and p <= 0.05 (with 100 shuffles the smallest p is 1/101);
- control (no plasticity: sleep correlations carry nothing of the run): EV < 0.05 and p > 0.05,
  i.e. not distinguishable from the shuffles (measured: EV 0.000, p 0.46).
"""
import os
import sys

import h5py

from am_read import finish, report

d, plastic, control = sys.argv[1:4]


def reactivation(name):
    with h5py.File(os.path.join(d, name + "_analysis.h5"), "r") as f:
        if "reactivation" not in f:
            sys.exit(f"{name}: no /reactivation (needs sleep before and after running)")
        a = {k: float(v) for k, v in f["reactivation"].attrs.items()}
    print(f"  {name}: EV {a['ev']:.4f}, REV {a['rev']:.4f}, shuffles mean "
          f"{a['ev_shuffle_mean']:.4f} p95 {a['ev_shuffle_p95']:.4f}, p {a['ev_p']:.4f}; "
          f"{int(a['n_cells'])} cells, {int(a['n_pairs'])} pairs; r(run, post) "
          f"{a['r_run_post']:.3f}, r(run, pre) {a['r_run_pre']:.3f}, r(pre, post) "
          f"{a['r_pre_post']:.3f}")
    return a


p = reactivation(plastic)
c = reactivation(control)
results = [
    report(f"{plastic}: enough pairs", p["n_pairs"] >= 1000 and c["n_pairs"] >= 1000,
           f"{int(p['n_pairs'])} and {int(c['n_pairs'])} pairs (at least 1000)"),
    report(f"{plastic}: EV > REV", p["ev"] >= 0.1 and p["ev"] > p["rev"] + 0.1,
           f"EV {p['ev']:.3f}, REV {p['rev']:.3f} (EV >= 0.1 and above REV + 0.1)"),
    report(f"{plastic}: EV above the shuffles",
           p["ev"] > p["ev_shuffle_p95"] and p["ev_p"] <= 0.05,
           f"EV {p['ev']:.3f}, shuffle 95th percentile {p['ev_shuffle_p95']:.4f}, "
           f"p {p['ev_p']:.4f}"),
    report(f"{control}: no reactivation without plasticity",
           c["ev"] < 0.05 and c["ev_p"] > 0.05,
           f"EV {c['ev']:.4f} (below 0.05), p {c['ev_p']:.3f} (above 0.05)"),
]
finish(results)
