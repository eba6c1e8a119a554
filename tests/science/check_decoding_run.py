"""Decoding while running is as good as in recordings.

Reads SCIENCE_DIR/NAME_analysis.h5 (`ammon analyze` of a validation run) and checks the median
cross-validated decoding error of /decoding_run (attribute median_error_m). Recorded: median 7 cm,
5-9 cm across rats (data/reference/facts.csv decode_error_run: Davidson et al 2009, Denovellis et
al 2021). Tolerance 5-10 cm: the recorded range, widened by 1 cm above because the linear-track run
decodes from ~500 cells with fields (tetrode recordings have tens to a few hundred), which lowers
the error, while 2 cm bins and the alternate-lap cross-validation add about a bin; below 5 cm would
mean the model is more precise than any rat, above 10 cm that the rate maps or the decoder are off.
Usage: check_decoding_run.py SCIENCE_DIR NAME
"""
import os
import sys

import h5py
import numpy as np

from am_read import finish, report

name = sys.argv[2]
f = h5py.File(os.path.join(sys.argv[1], name + "_analysis.h5"), "r")
results = []
d = f["decoding_run"]
med = float(d.attrs["median_error_m"])
err = d["error"][()]
results.append(report(f"{name}: decoding error while running", 0.05 <= med <= 0.10,
                      f"median {med * 100:.1f} cm over {len(err)} bins of "
                      f"{float(d.attrs.get('bin_s', np.nan)) * 1000:.0f} ms "
                      f"(recorded 5-9 cm, decode_error_run; tolerance 5-10 cm); "
                      f"90th percentile {np.percentile(err, 90) * 100:.1f} cm"))
# the attribute summarises the table written beside it
results.append(report(f"{name}: decoding error table", len(err) > 0 and
                      abs(float(np.median(err)) - med) < 1e-9,
                      f"median of /decoding_run/error {np.median(err) * 100:.2f} cm, "
                      f"attribute {med * 100:.2f} cm"))
finish(results)
