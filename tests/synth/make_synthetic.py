#!/usr/bin/python3
"""Synthetic ground truth for `ammon analyze`: a session file with known fields and known replays.

Never used by a run: it exists so that tests can check the analysis against answers it cannot see.
The file follows the ammon session layout (docs/output-format.md) as far as the recording reader
needs it (/provenance, /maze, /behavior, /epochs, /events, /units, /spikes, optional /lfp); the
answers (field centres, directions, what each embedded event is) go to a sidecar JSON (--truth),
never into the session file, as the analysis must see only what an experimenter sees.

Content
- A rat runs `laps` traversals of a 2 m linear track at 0.25 m/s with a 1 s dwell at each end
  (a reward at every arrival), then rests at the end where it stopped.
- Cells: a fraction `field_fraction` have one Gaussian place field (sigma 8 cm, peak 10-20 Hz,
  centre uniform on the track) and fire only while running in their preferred direction
  (0: increasing lin, 1: decreasing lin). Every cell fires 0.1 Hz background all the time.
  Running spikes are an inhomogeneous Poisson process; as the speed is constant during a pass, the
  spikes of one pass are drawn exactly: count ~ Poisson(peak * integral), positions from the field's
  Gaussian truncated to the track, times = pass start + distance / speed.
- The rest epoch holds the embedded events, separated by >= 1 s of background only, each
  60-200 ms long, of three kinds:
  replay      a bump moving at a constant speed (2-15 m/s) from start_pos to end_pos, forward or
              reverse along template 0 or 1 (the cells preferring that running direction). A cell
              of the template fires as the bump passes its field: rate A exp(-(p(t)-c)^2 / 2 s^2),
              A chosen so that a cell whose field lies on the path fires 3-6 spikes on average; a
              random subset participates so that 5-30 cells are active.
  stationary  a bump held at one position for the whole event (cells of one template near it).
  null        the spike counts of a replay-like event, but from randomly chosen field cells at
              uniformly random times within the event (no order).
  forward = the bump moves the way the template's cells run (template 0: increasing lin).
- LFP (1 kHz, /lfp/broadband): pink noise (power ~ 1/f), 8 Hz theta while running, and a 180 Hz
  ripple burst with a Gaussian envelope (sigma = duration / 4, centred on the event) in every
  embedded event, whatever its kind.

Randomness: numpy Generator(PCG64(seed)), one generator, drawn in a fixed order.

Usage: make_synthetic.py OUT.h5 --seed N [--cells 200] [--events 120] [--laps 20] [--lfp/--no-lfp]
                         [--truth TRUTH.json]
Importable: `generate(...)` returns (session dict, truth dict); `write_session(path, session)`.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

TRACK_M = 2.0
RUN_SPEED = 0.25       # m/s
DWELL_S = 1.0          # at each end
DT_BEHAVIOR = 0.01     # s
SIGMA_M = 0.08         # field sigma
PEAK_HZ = (10.0, 20.0)
BACKGROUND_HZ = 0.1
LFP_RATE = 1000.0
THETA_HZ = 8.0
RIPPLE_HZ = 180.0
RIPPLE_AMP = 1.5            # LFP units (the pink noise has SD 1)
REPLAY_SPEED = (2.0, 15.0)   # m/s
EVENT_DUR = (0.06, 0.20)     # s
MIN_PATH_M = 0.6             # shortest replay path
MAX_PATH_M = 1.8             # longest replay path (fits inside the track with margins)
TARGET_ACTIVE = (5, 30)      # active cells per replay event
GAP_S = (1.2, 2.0)           # background-only time between events (>= 1 s)
KIND_FRACTIONS = {"replay": 0.6, "stationary": 0.2, "null": 0.2}
GENERATOR = "tests/synth/make_synthetic.py"


def _trunc_normal(rng, centres, sigma, lo, hi):
    """One draw from N(c, sigma) truncated to [lo, hi] for each c in centres (rejection)."""
    out = rng.normal(centres, sigma)
    bad = (out < lo) | (out > hi)
    while bad.any():
        out[bad] = rng.normal(centres[bad], sigma)
        bad = (out < lo) | (out > hi)
    return out


def _gauss_mass(c, lo, hi, sigma):
    """Integral over [lo, hi] of exp(-(p - c)^2 / 2 sigma^2) dp (vectorised over c)."""
    from scipy.special import erf
    s = sigma * np.sqrt(2.0)
    return sigma * np.sqrt(np.pi / 2.0) * (erf((hi - c) / s) - erf((lo - c) / s))


def _behavior(laps, t_end_rest):
    """Piecewise trajectory: list of segments (t0, t1, lin0, lin1) and the sampled columns."""
    segs = []  # (t0, t1, lin0, lin1)
    t, pos = 0.0, 0.0
    arrivals = []  # (t, site)
    for _ in range(laps):
        segs.append((t, t + DWELL_S, pos, pos))
        t += DWELL_S
        dest = TRACK_M - pos
        dur = TRACK_M / RUN_SPEED
        segs.append((t, t + dur, pos, dest))
        t += dur
        pos = dest
        arrivals.append((t, 1 if dest > 0 else 0))
    segs.append((t, t + DWELL_S, pos, pos))
    t_run_end = t + DWELL_S
    return segs, arrivals, t_run_end, pos


def generate(seed, cells=200, events=120, laps=20, lfp=True, field_fraction=0.8):
    """Returns (session, truth): session is a dict of arrays for write_session, truth a JSON-able
    dict of the answers."""
    rng = np.random.Generator(np.random.PCG64(seed))

    # ---- cells
    has_field = rng.random(cells) < field_fraction
    centre = np.where(has_field, rng.uniform(0.0, TRACK_M, cells), np.nan)
    pref = np.where(has_field, rng.integers(0, 2, cells), -1)
    peak = np.where(has_field, rng.uniform(*PEAK_HZ, cells), 0.0)

    # ---- run epoch
    segs, arrivals, t_run_end, rest_pos = _behavior(laps, None)
    spk_t, spk_c = [], []
    for (t0, t1, l0, l1) in segs:
        if l0 == l1:
            continue
        d = 0 if l1 > l0 else 1
        sel = np.flatnonzero(pref == d)
        # expected count = peak * integral over the pass of the Gaussian in time
        mass = _gauss_mass(centre[sel], 0.0, TRACK_M, SIGMA_M) / RUN_SPEED
        n = rng.poisson(peak[sel] * mass)
        cc = np.repeat(sel, n)
        p = _trunc_normal(rng, centre[cc], SIGMA_M, 0.0, TRACK_M)
        spk_t.append(t0 + np.abs(p - l0) / RUN_SPEED)
        spk_c.append(cc)

    # ---- rest epoch with embedded events
    n_kind = {k: int(round(f * events)) for k, f in KIND_FRACTIONS.items()}
    n_kind["replay"] = events - n_kind["stationary"] - n_kind["null"]
    kinds = np.array(["replay"] * n_kind["replay"] + ["stationary"] * n_kind["stationary"] +
                     ["null"] * n_kind["null"])
    rng.shuffle(kinds)
    field_cells = np.flatnonzero(has_field)
    t = t_run_end + 2.0
    ev_truth = []
    for kind in kinds:
        kind = str(kind)
        ev = {"kind": kind}
        template = int(rng.integers(0, 2))
        if kind in ("replay", "null"):
            v = rng.uniform(*REPLAY_SPEED)
            dlo = min(max(EVENT_DUR[0], MIN_PATH_M / v), EVENT_DUR[1])
            dhi = min(EVENT_DUR[1], MAX_PATH_M / v)
            dur = rng.uniform(dlo, dhi)
            L = v * dur
            lo = rng.uniform(0.1, TRACK_M - 0.1 - L)
            forward = bool(rng.random() < 0.5)
            increasing = (template == 0) == forward
            p0, p1 = (lo, lo + L) if increasing else (lo + L, lo)
            sel = np.flatnonzero(pref == template)
            lam = rng.uniform(3.0, 6.0, len(sel)) * peak[sel] / 15.0  # spikes if on the path
            amp = lam * v / (SIGMA_M * np.sqrt(2 * np.pi))           # Hz at the bump
            m = amp * _gauss_mass(centre[sel], lo, lo + L, SIGMA_M) / v
            target = rng.uniform(*TARGET_ACTIVE)
            expect_active = np.sum(1.0 - np.exp(-m))
            part = rng.random(len(sel)) < min(1.0, target / max(expect_active, 1e-9))
            sel, m = sel[part], m[part]
            n = rng.poisson(m)
            cc = np.repeat(sel, n)
            if kind == "replay":
                p = _trunc_normal(rng, centre[cc], SIGMA_M, lo, lo + L)
                tt = t + np.abs(p - p0) / v
                ev.update(speed_m_s=float(v), direction=1 if forward else -1, template=template,
                          start_pos=float(p0), end_pos=float(p1),
                          slope_m_s=float(v if increasing else -v))
            else:
                # same counts per cell, but random field cells at random times: no order
                ids = rng.choice(field_cells, size=len(sel), replace=False)
                cc = np.repeat(ids, n)
                tt = t + rng.uniform(0.0, dur, len(cc))
                ev.update(speed_m_s=None, direction=0, template=-1, start_pos=None, end_pos=None,
                          slope_m_s=None)
        else:  # stationary
            dur = rng.uniform(*EVENT_DUR)
            p0 = rng.uniform(0.2, TRACK_M - 0.2)
            sel = np.flatnonzero(pref == template)
            lam = rng.uniform(2.0, 4.0, len(sel)) * peak[sel] / 15.0
            m = lam * np.exp(-0.5 * ((centre[sel] - p0) / SIGMA_M) ** 2)
            n = rng.poisson(m)
            cc = np.repeat(sel, n)
            tt = t + rng.uniform(0.0, dur, len(cc))
            ev.update(speed_m_s=0.0, direction=0, template=template, start_pos=float(p0),
                      end_pos=float(p0), slope_m_s=0.0)
        ev.update(start=float(t), stop=float(t + dur), n_spikes=int(len(cc)),
                  n_active=int(len(np.unique(cc))))
        ev_truth.append(ev)
        spk_t.append(tt)
        spk_c.append(cc)
        t += dur + rng.uniform(*GAP_S)
    t_end = t + 2.0

    # ---- background (all cells, whole session)
    nb = rng.poisson(BACKGROUND_HZ * t_end, cells)
    spk_c.append(np.repeat(np.arange(cells), nb))
    spk_t.append(rng.uniform(0.0, t_end, int(nb.sum())))

    st = np.concatenate(spk_t)
    sc = np.concatenate(spk_c).astype(np.int32)
    keep = (st >= 0) & (st < t_end)
    st, sc = st[keep], sc[keep]
    order = np.lexsort((sc, st))
    st, sc = st[order], sc[order]

    # ---- behaviour samples
    nbs = int(round(t_end / DT_BEHAVIOR))
    bt = np.arange(nbs) * DT_BEHAVIOR
    lin = np.full(nbs, rest_pos)
    speed = np.zeros(nbs)
    head = np.zeros(nbs)
    hd = 0.0
    for (t0, t1, l0, l1) in segs:
        m = (bt >= t0) & (bt < t1)
        if l0 == l1:
            lin[m] = l0
            head[m] = hd
        else:
            lin[m] = l0 + (l1 - l0) * (bt[m] - t0) / (t1 - t0)
            speed[m] = RUN_SPEED
            hd = 0.0 if l1 > l0 else np.pi
            head[m] = hd
    rest = bt >= t_run_end
    head[rest] = hd
    epoch = (bt >= t_run_end).astype(np.int32)

    # ---- events (rewards)
    ev_rows = [(0.0, 2, -1, 0.0, 0)]
    ev_rows += [(ta, 0, site, 1.0, 0) for ta, site in arrivals]
    ev_rows.append((t_run_end, 2, -1, 1.0, 1))
    ev_rows.sort(key=lambda r: r[0])

    sess = {
        "seed": seed,
        "t_end": t_end,
        "behavior": {"t": bt, "x": lin.copy(), "y": np.zeros(nbs), "lin": lin, "speed": speed,
                     "head_dir": head, "epoch": epoch},
        "epochs": {"start": np.array([0.0, t_run_end]), "stop": np.array([t_run_end, t_end]),
                   "kind": np.array([0, 1], np.int32), "laps": np.array([laps, 0], np.int32)},
        "events": {"t": np.array([r[0] for r in ev_rows]),
                   "kind": np.array([r[1] for r in ev_rows], np.int32),
                   "site": np.array([r[2] for r in ev_rows], np.int32),
                   "magnitude": np.array([r[3] for r in ev_rows]),
                   "epoch": np.array([r[4] for r in ev_rows], np.int32)},
        "spikes": {"t": st, "cell": sc},
        "n_cells": cells,
    }

    # ---- LFP
    if lfp:
        n = int(round(t_end * LFP_RATE))
        lt = np.arange(n) / LFP_RATE
        w = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1.0 / LFP_RATE)
        w *= 1.0 / np.sqrt(np.maximum(f, 1.0))  # power ~ 1/f above 1 Hz
        x = np.fft.irfft(w, n)
        x /= x.std()
        x += 0.05 * rng.standard_normal(n)  # a white floor
        # theta while running (speed > 0), ramped at the ends of each pass
        sp = np.interp(lt, bt, speed) / RUN_SPEED
        x += 1.0 * sp * np.sin(2 * np.pi * THETA_HZ * lt)
        for ev in ev_truth:
            tm = 0.5 * (ev["start"] + ev["stop"])
            s = (ev["stop"] - ev["start"]) / 4.0
            i0, i1 = int((tm - 4 * s) * LFP_RATE), int((tm + 4 * s) * LFP_RATE) + 1
            tw = lt[i0:i1]
            phase = rng.uniform(0, 2 * np.pi)
            x[i0:i1] += RIPPLE_AMP * np.exp(-0.5 * ((tw - tm) / s) ** 2) * \
                np.sin(2 * np.pi * RIPPLE_HZ * (tw - tm) + phase)
        sess["lfp"] = x

    truth = {
        "generator": GENERATOR, "seed": seed, "track_m": TRACK_M, "run_speed_m_s": RUN_SPEED,
        "field_sigma_m": SIGMA_M, "ripple_hz": RIPPLE_HZ, "theta_hz": THETA_HZ,
        "run_epoch": [0.0, t_run_end], "rest_epoch": [t_run_end, t_end], "rat_rest_pos": rest_pos,
        "cells": {"has_field": has_field.astype(int).tolist(),
                  "centre_lin": [None if np.isnan(c) else float(c) for c in centre],
                  "pref_dir": pref.astype(int).tolist(), "peak_hz": peak.tolist()},
        "events": ev_truth,
    }
    return sess, truth


def _str(group, name, value):
    dt = h5py.string_dtype("utf-8")
    if isinstance(value, (list, tuple)):
        group.create_dataset(name, data=np.array(value, dtype=object), dtype=dt)
    else:
        group.create_dataset(name, data=value, dtype=dt)


def write_session(path, sess):
    """Writes the session dict in the ammon session layout (what the recording reader reads)."""
    tmp = path + ".tmp-%d" % os.getpid()
    with h5py.File(tmp, "w", track_order=False) as f:
        g = f.create_group("provenance")
        _str(g, "program", "ammon")
        _str(g, "version", "synthetic")
        _str(g, "generator", GENERATOR)
        _str(g, "command_line", " ".join(sys.argv))
        g.create_dataset("seed", data=np.int64(sess["seed"]))

        m = f.create_group("maze")
        m.attrs["kind"] = "track"
        m.attrs["type"] = "linear"
        m.attrs["track_width_m"] = 0.1
        m["nodes"] = np.array([[0.0, 0.0], [TRACK_M, 0.0]])
        m["edges"] = np.array([[0, 1]], np.int32)
        m["edge_length"] = np.array([TRACK_M])
        m["edge_lin_offset"] = np.array([0.0])
        m["sites"] = np.array([[0.0, 0.0], [TRACK_M, 0.0]])
        m["site_node"] = np.array([0, 1], np.int32)
        m["bounds"] = np.array([-0.05, -0.05, TRACK_M + 0.05, 0.05])
        bins = m.create_group("bins")
        bins.attrs["bin_m"] = 0.02
        bl = (np.arange(int(round(TRACK_M / 0.02))) + 0.5) * 0.02
        bins["lin"] = bl
        bins["centre"] = np.stack([bl, np.zeros_like(bl)], axis=1)

        b = f.create_group("behavior")
        units = {"t": "s", "x": "m", "y": "m", "lin": "m", "speed": "m/s", "head_dir": "rad",
                 "epoch": "index into /epochs"}
        for k, u in units.items():
            b[k] = sess["behavior"][k]
            b[k].attrs["units"] = u

        e = f.create_group("epochs")
        for k in ("start", "stop", "kind", "laps"):
            e[k] = sess["epochs"][k]
        _str(e, "kind_names", ["run", "rest", "sleep"])

        ev = f.create_group("events")
        for k in ("t", "kind", "site", "magnitude", "epoch"):
            ev[k] = sess["events"][k]
        _str(ev, "kind_names", ["reward", "omission", "epoch_start", "reward_change"])

        st, sc = sess["spikes"]["t"], sess["spikes"]["cell"]
        s = f.create_group("spikes")
        s["t"] = st
        s["t"].attrs["units"] = "s"
        s["cell"] = sc
        n = sess["n_cells"]
        order = np.argsort(sc, kind="stable")  # time order kept within a unit
        u = f.create_group("units")
        u["id"] = np.arange(n, dtype=np.int32)
        u["spike_times"] = st[order]
        u["spike_times"].attrs["units"] = "s"
        u["spike_times_index"] = np.cumsum(np.bincount(sc, minlength=n)).astype(np.int64)

        if "lfp" in sess:
            lg = f.create_group("lfp")
            lg.attrs["rate_hz"] = LFP_RATE
            lg.attrs["t0_s"] = 0.0
            lg["broadband"] = sess["lfp"]

        sm = f.create_group("summary")
        sm.attrs["duration_s"] = sess["t_end"]
        sm.attrs["spikes"] = np.int64(len(st))
    os.replace(tmp, path)


def spike_lists(sess):
    """Spike times of each unit (list of arrays), from the time-ordered stream."""
    st, sc = sess["spikes"]["t"], sess["spikes"]["cell"]
    return [st[sc == c] for c in range(sess["n_cells"])]


def make(path, seed, cells=200, events=120, laps=20, lfp=True, truth_path=None):
    sess, truth = generate(seed, cells=cells, events=events, laps=laps, lfp=lfp)
    write_session(path, sess)
    if truth_path:
        with open(truth_path, "w") as f:
            json.dump(truth, f, indent=1)
    return sess, truth


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--events", type=int, default=120)
    ap.add_argument("--laps", type=int, default=20)
    ap.add_argument("--lfp", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--truth")
    a = ap.parse_args(argv)
    make(a.out, a.seed, a.cells, a.events, a.laps, a.lfp, a.truth)


if __name__ == "__main__":
    main()
