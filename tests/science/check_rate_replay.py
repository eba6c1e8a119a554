"""Replay in the rate backend (network.backend = rate, docs/rate.md): issue 6's must-shows.

Reads SCIENCE_DIR/NAME.h5 (`ammon run data/configs/rate_replay.ini`: 1000 rate units learn a 2 m
track over 10 laps, then rest 60 s and sleep 60 s) and SCIENCE_DIR/NAME_analysis.h5 (`ammon analyze
--set analysis.units=network`: events from the backend's LFP proxy, decoded with rate maps of the
units' own spikes while running, scored against shuffles, exactly as for the spiking network).
Checks, with the windows of the spiking network's check (check_network_replay.py, issue 4; recorded
values in data/reference/facts.csv):

- the file says which backend made it (/network attribute backend = rate);
- sleep event rate 0.3-2 Hz (recorded 0.5-1.5 Hz: swr_rate_sleep);
- awake-rest event rate 0.05-1 Hz (recorded 0.1-0.5 Hz: swr_rate_awake), below the sleep rate;
- at least 5 significant replays, median speed 3-20 m/s (recorded about 8-10 m/s:
  replay_speed_davidson);
- both directions (forward and reverse relative to the template's running direction);
- 5-60 % of the candidate events in rest and sleep significant (issue 6).
Each further argument CONTROL names a control run, SCIENCE_DIR/CONTROL(_analysis).h5: plasticity
off (network.stdp = off, the weights stay 0), or the learned weights loaded with --init-from and
shuffled over all unit pairs (network.init_shuffle = true). In each, significant replays must
(nearly) vanish: fewer than a fifth of the learned run's, which shows that replay comes from the
structure of the learned weights.
Usage: check_rate_replay.py SCIENCE_DIR NAME [CONTROL ...]
"""
import os
import sys

import h5py
import numpy as np

from am_read import epoch_durations, event_rate_checks, finish, report


def load(d, name):
    run = h5py.File(os.path.join(d, name + ".h5"), "r")
    an = h5py.File(os.path.join(d, name + "_analysis.h5"), "r")
    dur = epoch_durations(run)
    ev = an["events"]
    ek = ev["epoch_kind"][()]
    sig = (ev["significant"][()] == 1) & (ek >= 1)
    return run, ev, ek, dur, sig


d, name = sys.argv[1], sys.argv[2]
controls = sys.argv[3:]
run, ev, ek, dur, sig = load(d, name)
results = []
backend = run["network"].attrs.get("backend", b"")
backend = backend.decode() if isinstance(backend, bytes) else str(backend)
results.append(report(f"{name}: backend", backend == "rate", f"/network backend = '{backend}'"))
results += event_rate_checks(name, ek, dur)
speed = ev["speed_m_s"][()][sig]
direc = ev["direction"][()][sig]
med_sp = float(np.median(speed)) if sig.any() else float("nan")
results.append(report(f"{name}: significant replays", sig.sum() >= 5 and 3 <= med_sp <= 20,
                      f"{int(sig.sum())} significant, median speed {med_sp:.1f} m/s (recorded "
                      f"about 8-10 m/s; window 3-20 m/s)"))
n_f, n_r = int(np.sum(direc > 0)), int(np.sum(direc < 0))
results.append(report(f"{name}: both replay directions", n_f >= 1 and n_r >= 1,
                      f"{n_f} forward, {n_r} reverse"))
n_cand = int(np.sum(ek >= 1))
frac = sig.sum() / max(1, n_cand)
results.append(report(f"{name}: fraction of candidate events significant", 0.05 <= frac <= 0.60,
                      f"{100 * frac:.0f} % of {n_cand} candidate events in rest and sleep "
                      f"(window 5-60 %)"))
for control in controls:
    _, cev, cek, cdur, csig = load(d, control)
    results.append(report(f"{control}: replay needs the learned weights",
                          csig.sum() < max(1, sig.sum() / 5),
                          f"{int(csig.sum())} significant replays ({int(np.sum(cek >= 1))} "
                          f"candidate events in {cdur.get('rest', 0) + cdur.get('sleep', 0):.0f} s) "
                          f"vs {int(sig.sum())} in {dur['rest'] + dur['sleep']:.0f} s learned"))
finish(results)
