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


def report(name, ok, msg):
    print(("PASS " if ok else "FAIL ") + name + ": " + msg)
    return ok


def finish(results):
    npass = sum(1 for r in results if r)
    print(f"{npass} passed, {len(results) - npass} failed")
    sys.exit(0 if all(results) else 1)
