"""Ripple disruption (Girardeau et al. 2009; Jadhav et al. 2012): bursts detected online and
silenced at once leave far fewer significant replays in sleep.

Usage: check_disruption.py SCIENCE_DIR WITHOUT WITH [WITHOUT WITH ...]
Each pair names two runs in SCIENCE_DIR (NAME.h5, the session, and NAME_analysis.h5, analysed with
`ammon analyze --set analysis.units=network`): WITHOUT, the undisrupted run (the CA3 or rate
replay fixture), and WITH, a run of the same learned network with
`manipulation.disrupt_ripples = true` (the spiking one: --init-from the fixture, 2 laps then 30 s
of sleep, to keep CI short). Measured on sleep only (epoch kind 2), per minute of sleep, since the
two runs sleep for different times.

Checks per pair:
- the disrupted run logged disruptions in sleep (/manipulation/disruptions), and the undisrupted
  run has at least 10 significant sleep replays (so that a reduction can be seen);
- significant replays per minute of sleep with disruption are at most a quarter of those without.
Why a quarter: the recorded manipulations do not abolish every event (detection needs the event's
start, which escapes; Girardeau et al. report disrupted, not absent, ripples), so the check asks
for a large reduction, not zero. Measured at the time of writing (docs/experiments/
ripple_disruption.md): spiking 67 per 60 s without, 1 per 30 s with; rate 45 per 60 s without,
0 with; chance variation alone (Poisson, 67 expected per minute) cannot bring the count below a
quarter.
"""
import os
import sys

import h5py
import numpy as np

from am_read import epoch_durations, finish, report

d = sys.argv[1]
pairs = sys.argv[2:]
if len(pairs) < 2 or len(pairs) % 2:
    sys.exit("usage: check_disruption.py SCIENCE_DIR WITHOUT WITH [WITHOUT WITH ...]")


def sleep_replays(name):
    """Significant sleep replays, minutes of sleep, disruptions in sleep."""
    with h5py.File(os.path.join(d, name + ".h5"), "r") as run:
        minutes = epoch_durations(run).get("sleep", 0.0) / 60.0
        kinds = run["epochs/kind"][()]
        n_dis = 0
        if "manipulation/disruptions" in run:
            ep = run["manipulation/disruptions/epoch"][()]
            n_dis = int(np.sum(kinds[ep] == 2))
    with h5py.File(os.path.join(d, name + "_analysis.h5"), "r") as an:
        ev = an["events"]
        sleep = ev["epoch_kind"][()] == 2
        n_sig = int(np.sum((ev["significant"][()] == 1) & sleep))
        n_cand = int(np.sum(sleep))
    return n_sig, n_cand, minutes, n_dis


results = []
for without, with_ in zip(pairs[0::2], pairs[1::2]):
    s0, c0, m0, _ = sleep_replays(without)
    s1, c1, m1, dis = sleep_replays(with_)
    r0 = s0 / m0 if m0 > 0 else float("nan")
    r1 = s1 / m1 if m1 > 0 else float("nan")
    print(f"  {without}: {s0} significant of {c0} candidates in {m0:.1f} min of sleep")
    print(f"  {with_}: {s1} significant of {c1} candidates in {m1:.1f} min of sleep, "
          f"{dis} disruptions in sleep")
    results.append(report(f"{with_}: disruptions happened, {without} replays enough",
                          dis > 0 and s0 >= 10,
                          f"{dis} disruptions in sleep; {s0} significant sleep replays without"))
    results.append(report(f"{with_}: far fewer significant replays", r1 <= 0.25 * r0,
                          f"{r1:.1f} per min with disruption, {r0:.1f} without "
                          f"(at most a quarter allowed)"))
finish(results)
