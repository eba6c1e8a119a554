"""Controls for network replay: without the learned map, significant replays fall to chance.

Reads SCIENCE_DIR/CONTROL_analysis.h5 (a control run of the CA3 network analysed with
`ammon analyze --set analysis.units=network`) and SCIENCE_DIR/LEARNED_analysis.h5 (the learned
network, check_network_replay.py). Controls (issue 4): plasticity off (`network.stdp = off`: the
E->E weights never learn the track) and the weight shuffle (`--init-from` the learned run with
`network.init_shuffle = true`: same weights, same synapses, map destroyed); both run a few laps
(so that the analysis has rate maps) with plasticity off, then sleep.

What chance allows: an event counts as a significant replay when it beats two shuffle
distributions at alpha = 0.05 and its line travels at least one band width. Under the null (no
sequence structure) at most about alpha of the decoded events pass the first test alone, so the
check takes the one-sided 99 % binomial upper limit of alpha x decoded events (during rest and
sleep) as the most significant replays chance allows, and asks the control to stay at or below
it (with at least one event decoded, or none detected at all: a silent network replays nothing).
The learned network must beat its own chance limit, so the comparison has power.
Usage: check_network_control.py SCIENCE_DIR LEARNED CONTROL LABEL
"""
import os
import sys

import h5py
import numpy as np
from scipy.stats import binom

from am_read import finish, report

d, learned, control, label = sys.argv[1:5]
ALPHA = 0.05


def counts(name):
    f = h5py.File(os.path.join(d, name + "_analysis.h5"), "r")
    ev = f["events"]
    still = ev["epoch_kind"][()] >= 1
    dec = int(np.sum((ev["decoded"][()] == 1) & still))
    sig = int(np.sum((ev["significant"][()] == 1) & still))
    return len(ev["start"][()]), dec, sig


def limit(n):
    return int(binom.ppf(0.99, n, ALPHA)) if n > 0 else 0


n_l, dec_l, sig_l = counts(learned)
n_c, dec_c, sig_c = counts(control)
results = [
    report(f"{label}: significant replays at chance", sig_c <= limit(dec_c),
           f"{sig_c} significant of {dec_c} decoded ({n_c} candidates); chance allows up to "
           f"{limit(dec_c)} (99 % binomial limit at alpha {ALPHA})"),
    report(f"{label}: the learned network beats chance", sig_l > limit(dec_l),
           f"learned: {sig_l} significant of {dec_l} decoded; chance limit {limit(dec_l)}"),
]
finish(results)
