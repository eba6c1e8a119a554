#!/usr/bin/env python3
"""Issue 8, cue -> reward: the TD learner's prediction error moves from the reward to the cue.

Reads a session file of data/configs/cue_reward.ini (usage: check_td_cue.py DIR NAME [NAME_B])
as a user would: /behavior and /events give the task (the cue is the departure from the holding
area, site 0; the outcome is the arrival at site 1), /td the prediction errors, /vta the proxy.

Per trial, the lived prediction errors (/td rows with source run; replays at the sites are left
out, so that the replay-on and replay-off runs are measured alike) are summed in 250 ms windows from 0.25 s before the cue to 0.25 s after the
arrival (a window about as long as a photometry indicator's response, as in Amo et al. 2022, who
measured the peak time of the dopamine response between odour and water); the trial's peak time
is the centre of the largest window. Checks (each can fail):
  1. The first rewarded trial peaks at the reward (within 0.5 s of the arrival): no learning yet.
  2. Over rewarded trials, Spearman's rho between trial number and peak time < -0.5 (the issue's
     criterion for a shift from reward to cue).
  3. Gradual: at least 3 trials peak in between (more than 0.5 s after the cue and more than
     0.5 s before the arrival), and their mean trial number lies between the mean trial number of
     the trials that peak at the reward and that of those that peak at the cue (a jump would have
     no trials in between, or in-between trials scattered at random).
  4. Learned: at least 8 of the last 10 rewarded trials peak at the cue (within 0.5 s of it).
  5. Omission dip: in the second half of training, delta at an omitted reward (summed within
     0.1 s of the arrival) is negative in every omission trial, and the VTA proxy averaged over
     its response window (50-140 ms after the arrival) is below its baseline.
A second file (NAME_B) is reported beside the first (replay on / off): its peak-time curve and
rho are printed, not checked (issue 8: "report the delta shift with replay on and off").
"""
import sys

import h5py
import numpy as np
from scipy.stats import spearmanr

from am_read import verdict

W = 0.25


def trials(path):
    f = h5py.File(path, "r")
    b = f["behavior"]
    t, lin, sp = b["t"][()], b["lin"][()], b["speed"][()]
    ev = f["events"]
    names = [x.decode() if isinstance(x, bytes) else x for x in ev["kind_names"][()]]
    ek, et, es = ev["kind"][()], ev["t"][()], ev["site"][()]
    arrivals = np.sort(et[np.isin(ek, [names.index("reward"), names.index("omission")]) & (es == 1)])
    rewarded = set(et[(ek == names.index("reward")) & (es == 1)])
    mov = sp > 0
    cues = t[1:][(~mov[:-1]) & mov[1:] & (lin[1:] < 0.05)]
    td = f["td"]
    lived = td["source"][()] == 0  # the responses to cue and reward: lived errors only
    dt_, d = td["t"][()][lived], td["delta"][()][lived]
    vt, vr = f["vta/t"][()], f["vta/rate_hz"][()]
    base = float(f["/config/resolved"][()].decode().split("vta_baseline_hz = ")[1].split()[0]) \
        if b"vta_baseline_hz" in f["/config/resolved"][()] else 5.1
    out = []
    for c in cues:
        later = arrivals[arrivals > c]
        if not len(later):
            break
        a = later[0]
        edges = np.arange(-W, a - c + W + 1e-9, W)
        h = np.histogram(dt_ - c, edges, weights=d)[0]
        k = int(np.argmax(h))
        peak = edges[k] + W / 2
        dip = d[(dt_ >= a - 0.1) & (dt_ <= a + 0.1)].sum()
        m = (vt >= a + 0.05) & (vt <= a + 0.14)
        out.append(dict(cue=c, arr=a - c, peak=peak, rewarded=a in rewarded, dip=dip,
                        vta=float(vr[m].mean()) if m.any() else np.nan, base=base))
    return out


def summary(tr):
    rw = [(i, x) for i, x in enumerate(tr) if x["rewarded"]]
    idx = np.array([i for i, _ in rw])
    peak = np.array([x["peak"] for _, x in rw])
    arr = np.array([x["arr"] for _, x in rw])
    rho = spearmanr(idx, peak)[0]
    at_rew = np.abs(peak - arr) <= 0.5
    at_cue = np.abs(peak) <= 0.5
    mid = (peak > 0.5) & (peak < arr - 0.5)
    return idx, peak, arr, rho, at_rew, at_cue, mid


def main():
    tr = trials(f"{sys.argv[1]}/{sys.argv[2]}.h5")
    idx, peak, arr, rho, at_rew, at_cue, mid = summary(tr)
    fails = []
    print(f"{len(tr)} trials, {len(idx)} rewarded; peak times (s after the cue), every 5th:")
    print("  " + " ".join(f"{p:.2f}" for p in peak[::5]))
    print(f"Spearman rho(trial, peak) = {rho:.2f} (must be < -0.5)")
    if not at_rew[0]:
        fails.append(f"first rewarded trial peaks at {peak[0]:.2f} s, not at its reward "
                     f"({arr[0]:.2f} s)")
    if not rho < -0.5:
        fails.append(f"rho = {rho:.2f} >= -0.5")
    n_mid = int(mid.sum())
    mr, mm, mc = idx[at_rew].mean(), idx[mid].mean() if n_mid else np.nan, idx[at_cue].mean() \
        if at_cue.any() else np.nan
    print(f"trials peaking at the reward: {int(at_rew.sum())} (mean trial {mr:.1f}), in between: "
          f"{n_mid} (mean trial {mm:.1f}), at the cue: {int(at_cue.sum())} (mean trial {mc:.1f})")
    if n_mid < 3 or not (mr < mm < mc):
        fails.append("the shift is not gradual: need >= 3 trials peaking in between, with a mean "
                     "trial number between those peaking at the reward and at the cue")
    last = at_cue[-10:].sum()
    print(f"last 10 rewarded trials peaking at the cue: {last} (must be >= 8)")
    if last < 8:
        fails.append(f"only {last} of the last 10 rewarded trials peak at the cue")
    om = [x for i, x in enumerate(tr) if not x["rewarded"] and i >= len(tr) // 2]
    print(f"omissions in the second half: {len(om)}; delta at the omitted reward: "
          + " ".join(f"{x['dip']:.2f}" for x in om)
          + "; VTA proxy: " + " ".join(f"{x['vta']:.1f}" for x in om) + f" Hz (baseline "
          f"{om[0]['base'] if om else 5.1} Hz)")
    if not om:
        fails.append("no omission trial in the second half")
    elif not all(x["dip"] < 0 for x in om) or not np.mean([x["vta"] for x in om]) < om[0]["base"]:
        fails.append("no dip at every omitted reward")
    if len(sys.argv) > 3:
        tb = trials(f"{sys.argv[1]}/{sys.argv[3]}.h5")
        ib, pb, ab, rb, rwb, cb, mb = summary(tb)
        print(f"[{sys.argv[3]}] rho = {rb:.2f}; at reward/between/cue: {int(rwb.sum())}/"
              f"{int(mb.sum())}/{int(cb.sum())}; peaks every 5th: "
              + " ".join(f"{p:.2f}" for p in pb[::5]))
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
