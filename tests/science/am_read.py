"""Helpers shared by the science checks: read a session file as a user would (h5py + numpy)."""
import os
import sys

import h5py
import numpy as np


def session_path(argv, i=0):
    return os.path.join(argv[1], argv[2 + i] + ".h5")


def load(path):
    """Dict of the arrays the checks use."""
    f = h5py.File(path, "r")
    s = {"file": f}
    b = f["behavior"]
    for k in ("t", "x", "y", "lin", "speed", "head_dir", "epoch"):
        s[k] = b[k][()]
    s["spike_t"] = f["spikes/t"][()]
    s["spike_cell"] = f["spikes/cell"][()]
    s["centre"] = f["cells/field_centre"][()]
    s["centre_lin"] = f["cells/field_centre_lin"][()]
    s["active"] = f["cells/active"][()].astype(bool)
    s["peak_rate"] = f["cells/peak_rate"][()]
    s["kind"] = f["maze"].attrs["kind"]
    s["dt_b"] = float(np.median(np.diff(s["t"])))
    ep = f["epochs"]
    s["epoch_kind"] = ep["kind"][()]
    s["epoch_names"] = [x.decode() if isinstance(x, bytes) else x for x in ep["kind_names"][()]]
    return s


def running_mask(s, min_speed=0.05):
    """Samples in run epochs with speed above min_speed (m/s), as experimenters select them."""
    run_code = s["epoch_names"].index("run")
    return (s["epoch_kind"][s["epoch"]] == run_code) & (s["speed"] > min_speed)


def sample_index(s, times):
    """Index of the behavior sample each time falls in."""
    return np.clip(np.searchsorted(s["t"], times, side="right") - 1, 0, len(s["t"]) - 1)


def gauss_smooth(a, sigma_bins, axes):
    from scipy.ndimage import gaussian_filter
    sig = [0] * a.ndim
    for ax in axes:
        sig[ax] = sigma_bins
    return gaussian_filter(a, sig, mode="constant")


def epoch_durations(run):
    """Seconds spent in each epoch kind ('run', 'rest', 'sleep') of an open session file."""
    ep = run["epochs"]
    kinds = [k.decode() if isinstance(k, bytes) else k for k in ep["kind_names"][()]]
    dur = {k: 0.0 for k in kinds}
    for a, b, k in zip(ep["start"][()], ep["stop"][()], ep["kind"][()]):
        dur[kinds[k]] += b - a
    return dur


def event_rate_checks(name, epoch_kind, dur):
    """Issue 4's event-rate windows, shared by both network backends: candidate events per
    second of sleep 0.3-2 Hz (recorded 0.5-1.5), of awake rest 0.05-1 Hz (recorded 0.1-0.5) and
    below the sleep rate. epoch_kind: /events/epoch_kind of the analysis (1 rest, 2 sleep).
    Returns the list of check results."""
    rate = {}
    for k, code in (("rest", 1), ("sleep", 2)):
        n = int(np.sum(epoch_kind == code))
        rate[k] = n / dur[k] if dur.get(k, 0) > 0 else float("nan")
        print(f"  {k}: {n} candidate events in {dur.get(k, 0):.0f} s")
    return [report(f"{name}: sleep event rate", 0.3 <= rate["sleep"] <= 2.0,
                   f"{rate['sleep']:.2f} Hz (recorded 0.5-1.5 Hz; window 0.3-2 Hz)"),
            report(f"{name}: awake-rest event rate",
                   0.05 <= rate["rest"] <= 1.0 and rate["rest"] < rate["sleep"],
                   f"{rate['rest']:.2f} Hz, sleep {rate['sleep']:.2f} Hz (recorded 0.1-0.5 Hz; "
                   f"window 0.05-1 Hz and below sleep)")]


def report(name, ok, msg):
    print(("PASS " if ok else "FAIL ") + name + ": " + msg)
    return ok


def finish(results):
    npass = sum(1 for r in results if r)
    print(f"{npass} passed, {len(results) - npass} failed")
    sys.exit(0 if all(results) else 1)


def verdict(fails):
    """Prints each failure ("FAIL: ...") and PASS or FAILED; the exit status (1 if any failed)."""
    for m in fails:
        print("FAIL:", m)
    print("PASS" if not fails else "FAILED")
    return 1 if fails else 0
