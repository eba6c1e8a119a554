"""The session file follows docs/output-format.md: every group and dataset is there with the
documented type and shape, the NWB ragged spike layout agrees with the time-ordered stream, and the
provenance is complete. Usage: check_layout.py SCIENCE_DIR NAME [NAME ...]
"""
import sys

import numpy as np

from am_read import finish, report
import h5py
import os

results = []
for name in sys.argv[2:]:
    f = h5py.File(os.path.join(sys.argv[1], name + ".h5"), "r")
    missing = [p for p in (
        "provenance/program", "provenance/version", "provenance/git_commit", "provenance/compiler",
        "provenance/libraries", "provenance/command_line", "provenance/utc_time", "provenance/seed",
        "provenance/rng", "config/written", "config/resolved", "maze/bounds", "maze/sites",
        "maze/bins/centre", "behavior/t", "behavior/x", "behavior/y", "behavior/lin",
        "behavior/speed", "behavior/head_dir", "behavior/epoch", "events/t", "events/kind",
        "events/site", "events/magnitude", "events/kind_names", "epochs/start", "epochs/stop",
        "epochs/kind", "epochs/kind_names", "cells/type", "cells/active", "cells/field_centre",
        "spikes/t", "spikes/cell", "units/id", "units/spike_times", "units/spike_times_index")
        if p not in f]
    results.append(report(f"{name}: layout", not missing, f"missing: {missing}" if missing else
                          "every documented dataset present"))
    t = f["behavior/t"][()]
    dt = np.diff(t)
    results.append(report(f"{name}: behavior clock", t.dtype == np.float64 and
                          np.allclose(dt, dt[0], rtol=1e-6),
                          f"{len(t)} samples every {dt[0] * 1000:.3f} ms"))
    st, sc = f["spikes/t"][()], f["spikes/cell"][()]
    ut, ui = f["units/spike_times"][()], f["units/spike_times_index"][()]
    n = len(f["units/id"])
    ok = (np.all(np.diff(st) >= 0) and ui[-1] == len(st) and len(ui) == n)
    starts = np.concatenate([[0], ui[:-1]])
    for c in range(0, n, max(1, n // 50)):
        ok = ok and np.array_equal(ut[starts[c]:ui[c]], st[sc == c])
    results.append(report(f"{name}: spikes ragged layout", bool(ok),
                          f"{len(st)} spikes, {n} units, index consistent with /spikes"))
    dur = float(f["summary"].attrs["duration_s"])
    results.append(report(f"{name}: spike times in range", bool(st.min() >= 0 and st.max() < dur),
                          f"spikes in [{st.min():.3f}, {st.max():.3f}] s of {dur:.1f} s"))
    ep_start, ep_stop = f["epochs/start"][()], f["epochs/stop"][()]
    results.append(report(f"{name}: epochs tile the run", bool(ep_start[0] == 0 and
                          np.allclose(ep_start[1:], ep_stop[:-1]) and abs(ep_stop[-1] - dur) < 1e-9),
                          f"{len(ep_start)} epochs ending at {ep_stop[-1]:.2f} s"))
finish(results)
