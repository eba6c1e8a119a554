"""Place fields are where they were configured.

From the written spikes and positions only (running samples, speed > 5 cm/s), build
occupancy-normalised rate maps (2 cm bins, Gaussian smoothing of 1 bin; tracks: one map per running
direction, as recorded place cells are directional) and take each active cell's peak. Pass when the
median distance between peak and configured centre is below 5 cm (the issue's tolerance: 2.5 bins,
about half a field sigma) and the median measured peak rate is within 30 % of the configured peak
(smoothing and the finite sampling of the theta-modulated rate lower a peak by up to ~20 %).
Usage: check_fields.py SCIENCE_DIR NAME
"""
import sys

import numpy as np

from am_read import finish, gauss_smooth, load, report, running_mask, sample_index, session_path

s = load(session_path(sys.argv))
name = sys.argv[2]
run = running_mask(s)
idx = sample_index(s, s["spike_t"])
keep = run[idx]
cells = s["spike_cell"][keep]
sidx = idx[keep]
n = len(s["active"])
results = []
bin_m = 0.02

if s["kind"] == "track":
    lin = s["lin"]
    # running direction from the linear position (finite difference, same sign within an edge)
    dlin = np.gradient(lin)
    direction = np.where(dlin >= 0, 1, -1)
    edges = np.arange(0, np.nanmax(lin) + bin_m, bin_m)
    nb = len(edges) - 1
    centres = 0.5 * (edges[1:] + edges[:-1])
    maps = []
    for d in (1, -1):
        m = run & (direction == d)
        occ = np.histogram(lin[m], edges)[0] * s["dt_b"]
        sel = m[sidx]
        counts = np.zeros((n, nb))
        b = np.clip(np.digitize(lin[sidx[sel]], edges) - 1, 0, nb - 1)
        np.add.at(counts, (cells[sel], b), 1)
        occ_s = gauss_smooth(occ, 1, [0])
        rate = np.where(occ_s > 0.05, gauss_smooth(counts, 1, [1]) / np.maximum(occ_s, 1e-12), 0)
        maps.append(rate)
    maps = np.stack(maps)  # (2, n, nb)
    best = maps.max(axis=2).argmax(axis=0)
    peak_bin = maps[best, np.arange(n)].argmax(axis=1)
    peak_rate = maps[best, np.arange(n)].max(axis=1)
    err = np.abs(centres[peak_bin] - s["centre_lin"])
else:
    x, y = s["x"], s["y"]
    lo = np.nanmin(np.stack([x, y]), axis=1)
    hi = np.nanmax(np.stack([x, y]), axis=1)
    ex = np.arange(np.floor(lo[0] / bin_m) * bin_m, hi[0] + bin_m, bin_m)
    ey = np.arange(np.floor(lo[1] / bin_m) * bin_m, hi[1] + bin_m, bin_m)
    occ = np.histogram2d(x[run], y[run], [ex, ey])[0] * s["dt_b"]
    occ_s = gauss_smooth(occ, 1, [0, 1])
    bx = np.clip(np.digitize(x[sidx], ex) - 1, 0, len(ex) - 2)
    by = np.clip(np.digitize(y[sidx], ey) - 1, 0, len(ey) - 2)
    counts = np.zeros((n, len(ex) - 1, len(ey) - 1), dtype=np.float32)
    np.add.at(counts, (cells, bx, by), 1)
    rate = gauss_smooth(counts, 1, [1, 2]) / np.maximum(occ_s, 1e-12)
    rate[:, occ_s < 0.2] = 0
    flat = rate.reshape(n, -1).argmax(axis=1)
    ix, iy = np.unravel_index(flat, occ.shape)
    px, py = 0.5 * (ex[ix] + ex[ix + 1]), 0.5 * (ey[iy] + ey[iy + 1])
    peak_rate = rate.reshape(n, -1).max(axis=1)
    err = np.hypot(px - s["centre"][:, 0], py - s["centre"][:, 1])

act = s["active"]
med = float(np.median(err[act])) * 100
results.append(report(f"{name}: field centres", med < 5.0,
                      f"median peak-to-centre error {med:.2f} cm over {act.sum()} active cells "
                      f"(tolerance 5 cm); 90th percentile {np.percentile(err[act], 90) * 100:.1f} cm"))
ratio = float(np.median(peak_rate[act] / s["peak_rate"][act]))
results.append(report(f"{name}: peak rates", 0.7 < ratio < 1.3,
                      f"median measured/configured peak rate {ratio:.2f} (tolerance 0.7-1.3)"))
silent = ~act
if silent.any():
    sil = float(np.median(peak_rate[silent]))
    results.append(report(f"{name}: cells without a field stay silent", sil < 2.0,
                          f"median map peak of field-less cells {sil:.2f} Hz (< 2 Hz)"))
finish(results)
