#!/usr/bin/python3
"""Plain NumPy implementation of ammon's replay analysis (src/analysis/am_replay.h, am_decode.h).

The same algorithm, the same floating-point operation order and the same counter-based draws
(Philox4x32-10, key from SplitMix64(seed ^ FNV-1a-64("analysis.replay")), as src/core/am_rng.c),
so that per-event results, p-values included, equal the C ones.

Import and call:
    import replay_numpy as rn
    res = rn.replay_score(tp, st, su, events, params)   # list of dicts, one per event
with
    tp = dict(rate=(T, U, B) float64 array, path_index=int array, path_bins=int array,
              path_pos=float array, path_dir=None or int array, bin_xy=None or (B, 2),
              is_arena=False, goal_xy=None or (G, 2))
    st, su: spike times (sorted) and units; events: (E, 3) array of start, stop, rat_pos
    (rat_xy: optional (E, 2) array in params['rat_xy'] or None)
    params = dict(bin_s=0.02, step_s=0.01, min_rate_hz=0.01, min_peak_hz=1.0, min_bins=4,
                  min_cells=5, n_shuffles=1000, band_m=0.15, local_m=0.2, max_step_m=0.2,
                  alpha=0.05, seed=0)            (DEFAULTS; missing keys take these)
    event_ids: optional list of event indices to score (the counter step of each event is its
    index in `events`), to time a subset.

Run as a script: builds a synthetic session, runs the C driver (bench/replay_bench.c) on all events
and this module on a subset, checks that the results are identical and prints per-event times.
    /usr/bin/python3 bench/replay_numpy.py BUILD/replay_bench [--events 1000] [--numpy-events 20]
"""
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

DEFAULTS = dict(bin_s=0.02, step_s=0.01, min_rate_hz=0.01, min_peak_hz=1.0, min_bins=4,
                min_cells=5, n_shuffles=1000, band_m=0.15, local_m=0.2, max_step_m=0.2,
                alpha=0.05, seed=0)

FIELDS = ["n_bins", "n_active", "decoded", "tmpl", "path", "wcorr", "wcorr_p_col",
          "wcorr_p_cell", "radon_score", "radon_p_col", "radon_p_cell", "rank_r", "rank_p_cell",
          "slope_m_s", "speed_m_s", "start_pos", "end_pos", "direction", "local", "significant",
          "continuity_steps", "goal_cos", "post_rows", "post_cols"]

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

# ---- RNG (src/core/am_rng.c) -------------------------------------------------------------------


def _fnv1a64(name):
    h = 0xcbf29ce484222325
    for b in name.encode():
        h ^= b
        h = (h * 0x100000001b3) & M64
    return h


def _splitmix64(x):
    z = (x + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def stream_make(seed, name):
    k = _splitmix64((seed & M64) ^ _fnv1a64(name))
    return (k & M32, k >> 32)


def philox4x32_10(c0, c1, c2, c3, key):
    """Vectorised Philox4x32-10 on uint64 arrays holding 32-bit words."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & np.uint64(M32) for c in (c0, c1, c2, c3))
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    m0, m1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
    w0, w1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
    mask, s32 = np.uint64(M32), np.uint64(32)
    for r in range(10):
        if r > 0:
            k0 = (k0 + w0) & mask
            k1 = (k1 + w1) & mask
        p0 = m0 * c0
        p1 = m1 * c2
        hi0, lo0 = p0 >> s32, p0 & mask
        hi1, lo1 = p1 >> s32, p1 & mask
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def words_to_u01(hi, lo):
    x = (hi << np.uint64(21)) ^ (lo >> np.uint64(11))
    u = x.astype(np.float64) * 2.0 ** -53
    return np.where(x == 0, 2.0 ** -54, u)


def uniforms(stream, event, kind, shuffles, count):
    """(len(shuffles), count) uniforms: number i of shuffle n = word pair i % 2 of the block at
    (step event, entity kind << 24 | n, draw i // 2)."""
    shuffles = np.asarray(shuffles, dtype=np.uint64)
    nb = (count + 1) // 2
    draw = np.broadcast_to(np.arange(nb, dtype=np.uint64)[None, :], (len(shuffles), nb))
    ent = np.broadcast_to(((np.uint64(kind) << np.uint64(24)) | shuffles)[:, None], draw.shape)
    w0, w1, w2, w3 = philox4x32_10(draw, ent, np.uint64(event & M32), np.uint64(event >> 32),
                                   stream)
    u = np.empty((len(shuffles), 2 * nb))
    u[:, 0::2] = words_to_u01(w0, w1)
    u[:, 1::2] = words_to_u01(w2, w3)
    return u[:, :count]


def uint_from(u, m):
    v = (u * np.asarray(m, dtype=np.float64)).astype(np.int64)
    return np.minimum(v, np.asarray(m, dtype=np.int64) - 1)

# ---- decoder (src/analysis/am_decode.c) --------------------------------------------------------


def expneg(x):
    """The project's exp for x <= 0 (am_decode_expneg), same operations, same bits."""
    x = np.asarray(x, dtype=np.float64)
    t = x * 1.4426950408889634074 + 6755399441055744.0
    n = t - 6755399441055744.0
    r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
    p = np.full_like(x, 1.0 / 479001600.0)
    for c in (1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
              1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0):
        p = p * r + c
    e = (n + 1023.0) + 4503599627370496.0
    with np.errstate(invalid="ignore"):
        s = (np.where(np.isfinite(e), e, 4503599627370496.0).view(np.uint64) << np.uint64(52)).view(np.float64)
    return np.where(x >= -708.0, p * s, 0.0)


def seqsum(a, axis=-1):
    """Sum in index order, one element after the other (as the C loops)."""
    return np.take(np.cumsum(a, axis=axis), -1, axis=axis)


def softmax(ll, valid):
    """Softmax over the last axis on valid entries (am_decode_softmax); all-zero if none valid."""
    v = np.broadcast_to(valid, ll.shape)
    if not np.any(valid):
        return np.zeros_like(ll)
    m = np.max(np.where(v, ll, -np.inf), axis=-1, keepdims=True)
    e = np.where(v, expneg(np.where(v, ll - m, 0.0)), 0.0)
    z = seqsum(e)[..., None]
    return e / z


class Decoder:
    def __init__(self, rate, min_rate, min_peak):
        T, U, B = rate.shape
        with np.errstate(invalid="ignore"):
            peak = np.nanmax(np.where(np.isnan(rate), -np.inf, rate).transpose(1, 0, 2)
                             .reshape(U, -1), axis=1)
        self.used = np.nonzero(peak >= min_peak)[0]
        self.used_of = -np.ones(U, dtype=np.int64)
        self.used_of[self.used] = np.arange(len(self.used))
        r = rate[:, self.used, :]
        N = len(self.used)
        self.valid = np.all(np.isfinite(r), axis=1) & (N > 0)  # (T, B)
        f = np.where(self.valid[:, None, :], np.maximum(np.nan_to_num(r, nan=min_rate), min_rate),
                     1.0)
        # log with the C library's log (math.log), so that the bits equal the C tables
        self.logf = np.array([math.log(v) for v in f.ravel()]).reshape(f.shape)
        self.logf[~np.broadcast_to(self.valid[:, None, :], f.shape)] = 0.0
        fz = np.where(self.valid[:, None, :], f, 0.0)
        self.sumf = seqsum(fz, axis=1) if N > 0 else np.zeros((T, B))
        rr = np.where(np.isfinite(r), r, -np.inf)
        self.peak_bin = np.where(np.any(np.isfinite(r), axis=2), np.argmax(rr, axis=2), -1)


# ---- replay (src/analysis/am_replay.c) ---------------------------------------------------------


def geom(x, K, band):
    L = x[-1] - x[0]
    dg = band
    G = int(math.floor(1.5 * L / dg + 1e-9)) + 1
    glo = x[0] - 0.25 * L
    h = dg / float(K - 1)
    F = (G - 1) * (K - 1) + 1
    y = glo + np.arange(F).astype(np.float64) * h
    lo = np.searchsorted(x, y - band, "left")
    hi = np.searchsorted(x, y + band, "right")
    return G, lo, np.maximum(hi - lo, 0)


def prefix2(q):
    P = q.shape[-1]
    z = np.zeros(q.shape[:-1] + (1,))
    return np.concatenate([z, np.cumsum(np.concatenate([q, q], axis=-1), axis=-1)], axis=-1), P


def radon(c2, K, P, G, lo, w, shift=None, want_arg=False):
    """c2: (S, K, 2P+1); shift (S, K) or None. Returns best scores (S,) [and (s, e) of row 0]."""
    S = c2.shape[0]
    K1 = K - 1
    F = (G - 1) * K1 + 1
    q_, r_ = np.meshgrid(np.arange(G), np.arange(K1))  # (K1, G)
    i = q_ * K1 + r_
    ok = i < F
    ii = np.where(ok, i, 0)
    off = P - (np.zeros((S, K), dtype=np.int64) if shift is None else shift)
    a = lo[ii][None, None] + off[:, :, None, None]  # (S, K, K1, G)
    flat = c2.reshape(S, K, -1)
    hi_v = np.take_along_axis(flat, (a + w[ii][None, None]).reshape(S, K, -1), axis=2)
    lo_v = np.take_along_axis(flat, a.reshape(S, K, -1), axis=2)
    bt = np.where(ok[None, None], (hi_v - lo_v).reshape(S, K, K1, G), 0.0)
    vals, ses = [], []
    for dd in range(-(G - 1), G):
        s0, s1 = (-dd if dd < 0 else 0), (G - dd if dd > 0 else G)
        acc = np.zeros((S, s1 - s0))
        for k in range(K):
            qd, rr = divmod(dd * k, K1)
            acc += bt[:, k, rr, qd + s0:qd + s1]
        vals.append(acc)
        if want_arg:
            ses.extend((s, s + dd) for s in range(s0, s1))
    v = np.concatenate(vals, axis=1)
    best = v.max(axis=1)
    if want_arg:
        return best / float(K), ses[int(np.argmax(v[0]))]
    return best / float(K)


def wcorr(q, c2, K, P, xc, xc2, tc, shift=None):
    """q (S, K, P)."""
    S = q.shape[0]
    j = np.arange(P)
    sh = np.zeros((S, K), dtype=np.int64) if shift is None else shift
    idx = (j[None, None, :] + sh[:, :, None]) % P
    m1 = seqsum(q * xc[idx])
    m2 = seqsum(q * xc2[idx])
    m0 = c2[:, :, P]
    W = seqsum(m0)
    St = seqsum(m0 * tc[None])
    Stt = seqsum(m0 * (tc * tc)[None])
    Sx = seqsum(m1)
    Sxx = seqsum(m2)
    Stx = seqsum(tc[None] * m1)
    mt, mx = St / W, Sx / W
    cov = Stx / W - mt * mx
    vt = Stt / W - mt * mt
    vx = Sxx / W - mx * mx
    ok = (vt > 0.0) & (vx > 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, cov / np.sqrt(np.where(ok, vt * vx, 1.0)), 0.0)


def ranks2(v):
    n = len(v)
    order = np.argsort(v, kind="stable")
    sv = v[order]
    starts = np.concatenate([[True], sv[1:] != sv[:-1]])
    gid = np.cumsum(starts) - 1
    first = np.nonzero(starts)[0]
    last = np.concatenate([first[1:] - 1, [n - 1]])
    r = np.empty(n)
    r[order] = (first[gid] + last[gid] + 2).astype(np.float64)
    return r


def spearman(t, x):
    keep = ~np.isnan(x)
    n = int(keep.sum())
    if n < 3:
        return math.nan
    rt, rx = ranks2(t[keep]), ranks2(x[keep])
    Sx, Sy = seqsum(rt), seqsum(rx)
    Sxx, Syy, Sxy = seqsum(rt * rt), seqsum(rx * rx), seqsum(rt * rx)
    nn = float(n)
    den = (nn * Sxx - Sx * Sx) * (nn * Syy - Sy * Sy)
    if not den > 0.0:
        return 0.0
    return (nn * Sxy - Sx * Sy) / math.sqrt(den)


def refine(q, x, tc, band, c, v):
    for _ in range(3):
        y = c + v * tc
        m = np.abs(x[None, :] - y[:, None]) <= band
        wq = np.where(m, q, 0.0)
        Sw = seqsum(wq.ravel())
        Swt = seqsum((wq * tc[:, None]).ravel())
        Swx = seqsum((wq * x[None, :]).ravel())
        if not Sw > 0.0:
            return c, v
        mt, mx = Swt / Sw, Swx / Sw
        dt = tc - mt
        Stt = seqsum(np.where(m, q * (dt * dt)[:, None], 0.0).ravel())
        Stx = seqsum(np.where(m, q * (dt[:, None] * (x[None, :] - mx)), 0.0).ravel())
        if not Stt > 0.0:
            return c, v
        v = Stx / Stt
        c = mx - v * mt
    return c, v


def _empty(K, A):
    nan = math.nan
    return dict(n_bins=K, n_active=A, decoded=0, tmpl=-1, path=-1, wcorr=nan, wcorr_p_col=nan,
                wcorr_p_cell=nan, radon_score=nan, radon_p_col=nan, radon_p_cell=nan, rank_r=nan,
                rank_p_cell=nan, slope_m_s=nan, speed_m_s=nan, start_pos=nan, end_pos=nan,
                direction=0, local=0, significant=0, continuity_steps=0, goal_cos=nan,
                post_rows=0, post_cols=0, posterior=None)


class Replay:
    def __init__(self, tp, params):
        self.p = dict(DEFAULTS)
        self.p.update(params or {})
        self.tp = tp
        rate = np.asarray(tp["rate"], dtype=np.float64)
        self.T, self.U, self.B = rate.shape
        self.d = Decoder(rate, self.p["min_rate_hz"], self.p["min_peak_hz"])
        self.stream = stream_make(int(self.p["seed"]), "analysis.replay")
        self.tS = self.p["bin_s"] * self.d.sumf
        self.paths = []
        if not tp.get("is_arena", False):
            pidx = np.asarray(tp["path_index"])
            pb, pp = np.asarray(tp["path_bins"]), np.asarray(tp["path_pos"], dtype=np.float64)
            pdir = tp.get("path_dir")
            for i in range(len(pidx)):
                s = 0 if i == 0 else int(pidx[i - 1])
                e = int(pidx[i])
                self.paths.append(dict(bins=pb[s:e], x=pp[s:e],
                                       dir=None if pdir is None else np.asarray(pdir)[s:e]))

    def path_tables(self, t, pth):
        pt = self.paths[pth]
        bins, x = pt["bins"], pt["x"]
        P = len(bins)
        xmid = 0.5 * (x[0] + x[-1])
        xc = x - xmid
        first = {}
        for j, b in enumerate(bins):
            first.setdefault(int(b), j)
        pb = self.d.peak_bin[t]
        pxu = np.array([x[first[int(b)]] if (b >= 0 and int(b) in first) else math.nan
                        for b in pb])
        return dict(P=P, bins=bins, x=x, dir=pt["dir"], lp=self.d.logf[t][:, bins],
                    ts=self.tS[t][bins], valid=self.d.valid[t][bins], xc=xc, xc2=xc * xc,
                    pxu=pxu)

    def event(self, e, start, stop, rat_pos, st, su, rat_xy=None):
        p, d = self.p, self.d
        span = stop - start - p["bin_s"]
        K = int(math.floor(span / p["step_s"] + 1e-9)) + 1 if span >= 0.0 else 0
        i0 = np.searchsorted(st, start, "left")
        i1 = np.searchsorted(st, stop, "left")
        ts = st[i0:i1]
        us = d.used_of[su[i0:i1]]
        keep = us >= 0
        ts, us = ts[keep], us[keep]
        active = np.unique(us)
        A = len(active)
        r = _empty(K, A)
        if not (K >= p["min_bins"] and A >= p["min_cells"]):
            return r
        r["decoded"] = 1
        m_of = np.searchsorted(active, us)
        a_k = start + np.arange(K).astype(np.float64) * p["step_s"]
        inb = (a_k[None, :] <= ts[:, None]) & (ts[:, None] < (a_k + p["bin_s"])[None, :])
        cnt = np.zeros((K, A))
        si, ki = np.nonzero(inb)
        np.add.at(cnt, (ki, m_of[si]), 1.0)
        tm = np.empty(A)
        for m in range(A):
            tt = ts[m_of == m]
            n = len(tt)
            tm[m] = tt[n // 2] if n % 2 else 0.5 * (tt[n // 2 - 1] + tt[n // 2])
        # full decode (K, T, B)
        T, B = self.T, self.B
        acc = seqsum(cnt[:, :, None, None] * d.logf[:, active, :].transpose(1, 0, 2)[None], axis=1)
        ll = acc - self.tS[None]
        post = softmax(ll.reshape(K, T * B), d.valid.reshape(-1)).reshape(K, T, B)
        tmass = np.array([seqsum(post[:, t, :].ravel()) for t in range(T)])
        t = int(np.argmax(tmass))
        r["tmpl"] = t
        if self.tp.get("is_arena", False):
            return self._arena(r, post, ll, t, K, rat_xy)
        return self._track(r, e, ll, t, K, A, cnt, active, tm, rat_pos, rat_xy)

    def _arena(self, r, post, ll, t, K, rat_xy):
        p, tp = self.p, self.tp
        q = softmax(ll[:, t, :], self.d.valid[t])
        mp = np.argmax(q, axis=1)
        bxy = np.asarray(tp["bin_xy"], dtype=np.float64)
        cur = best = 0
        for k in range(1, K):
            dx = bxy[mp[k], 0] - bxy[mp[k - 1], 0]
            dy = bxy[mp[k], 1] - bxy[mp[k - 1], 1]
            if math.sqrt(dx * dx + dy * dy) < p["max_step_m"]:
                cur += 1
                best = max(best, cur)
            else:
                cur = 0
        r["continuity_steps"] = best
        p0, p1 = bxy[mp[0]], bxy[mp[-1]]
        goals = tp.get("goal_xy")
        if goals is not None and len(goals) > 0:
            g = np.asarray(goals, dtype=np.float64)
            dd = (g[:, 0] - p0[0]) ** 2 + (g[:, 1] - p0[1]) ** 2
            gi = int(np.argmin(dd))
            v1, v2 = p1 - p0, g[gi] - p0
            n1, n2 = v1[0] * v1[0] + v1[1] * v1[1], v2[0] * v2[0] + v2[1] * v2[1]
            if n1 > 0.0 and n2 > 0.0:
                r["goal_cos"] = (v1[0] * v2[0] + v1[1] * v2[1]) / math.sqrt(n1 * n2)
        if rat_xy is not None:
            a = math.sqrt((p0[0] - rat_xy[0]) ** 2 + (p0[1] - rat_xy[1]) ** 2)
            b = math.sqrt((p1[0] - rat_xy[0]) ** 2 + (p1[1] - rat_xy[1]) ** 2)
            r["local"] = int(a <= p["local_m"] or b <= p["local_m"])
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        r["significant"] = int(best >= 10 and math.sqrt(dx * dx + dy * dy) >= p["max_step_m"])
        if r["significant"]:
            r["posterior"], r["post_rows"], r["post_cols"] = q, K, self.B
        return r

    def _track(self, r, e, ll, t, K, A, cnt, active, tm, rat_pos, rat_xy):
        p, d = self.p, self.d
        band = p["band_m"]
        tc = (np.arange(K).astype(np.float64) - 0.5 * float(K - 1)) * p["step_s"]
        best = None
        for pth in range(len(self.paths)):
            pt = self.path_tables(t, pth)
            if pt["P"] < 1 or not np.any(pt["valid"]):
                continue
            q = softmax(ll[:, t, :][:, pt["bins"]], pt["valid"])
            c2, P = prefix2(q[None])
            G, lo, w = geom(pt["x"], K, band)
            sc, (s_, e_) = radon(c2, K, P, G, lo, w, want_arg=True)
            if best is None or sc[0] > best[0]:
                best = (sc[0], pth, s_, e_, q, c2, pt, G, lo, w)
        if best is None:
            return r
        score, pth, bs, be, Q, C2, pt, G, lo, w = best
        P, x = pt["P"], pt["x"]
        r["path"] = pth
        r["radon_score"] = score
        r["wcorr"] = wcorr(Q[None], C2, K, P, pt["xc"], pt["xc2"], tc)[0]
        L, dg = x[-1] - x[0], band
        glo = x[0] - 0.25 * L
        gs, ge = glo + float(bs) * dg, glo + float(be) * dg
        v = (ge - gs) / (tc[-1] - tc[0])
        c0 = gs - v * tc[0]
        c0, v = refine(Q, x, tc, band, c0, v)
        r["slope_m_s"], r["speed_m_s"] = v, abs(v)
        r["start_pos"], r["end_pos"] = c0 + v * tc[0], c0 + v * tc[-1]
        r["rank_r"] = spearman(tm, pt["pxu"][active])
        NS = int(p["n_shuffles"])
        aw0, ar0 = abs(r["wcorr"]), abs(r["rank_r"])
        ge_rc = ge_wc = ge_rl = ge_wl = ge_rk = 0
        N = len(d.used)
        chunk = 100
        for n0 in range(0, NS, chunk):
            ns = np.arange(n0, min(NS, n0 + chunk))
            S = len(ns)
            # column cycle
            sh = uint_from(uniforms(self.stream, e, 0, ns, K), P)
            c2b = np.broadcast_to(C2, (S,) + C2.shape[1:])
            rs = radon(c2b, K, P, G, lo, w, shift=sh)
            wc = wcorr(np.broadcast_to(Q, (S, K, P)), c2b, K, P, pt["xc"], pt["xc2"], tc, sh)
            ge_rc += int(np.sum(rs >= score))
            ge_wc += int(np.sum(np.abs(wc) >= aw0))
            # cell identity
            u = uniforms(self.stream, e, 1, ns, A)
            arr = np.broadcast_to(np.arange(N), (S, N)).copy()
            rows = np.arange(S)
            for m in range(A):
                j = m + uint_from(u[:, m], N - m)
                tmp = arr[:, m].copy()
                arr[:, m] = arr[rows, j]
                arr[rows, j] = tmp
            amap = arr[:, :A]
            lpm = pt["lp"][amap]  # (S, A, P)
            accs = seqsum(cnt[None, :, :, None] * lpm[:, None, :, :], axis=2)  # (S, K, P)
            qs = softmax(accs - pt["ts"][None, None, :], pt["valid"])
            c2s, _ = prefix2(qs)
            rs = radon(c2s, K, P, G, lo, w)
            wc = wcorr(qs, c2s, K, P, pt["xc"], pt["xc2"], tc)
            ge_rl += int(np.sum(rs >= score))
            ge_wl += int(np.sum(np.abs(wc) >= aw0))
            for si in range(S):
                rk = spearman(tm, pt["pxu"][amap[si]])
                ge_rk += int(abs(0.0 if math.isnan(rk) else rk) >= ar0)
        den = float(NS) + 1.0
        bonf = float(len(self.paths)) if len(self.paths) > 1 else 1.0

        def pv(c):
            return min(1.0, bonf * ((1.0 + float(c)) / den))
        r["radon_p_col"], r["radon_p_cell"] = pv(ge_rc), pv(ge_rl)
        r["wcorr_p_col"], r["wcorr_p_cell"] = pv(ge_wc), pv(ge_wl)
        r["rank_p_cell"] = math.nan if math.isnan(r["rank_r"]) else pv(ge_rk)
        r["significant"] = int(r["radon_p_col"] < p["alpha"] and r["radon_p_cell"] < p["alpha"]
                               and abs(r["end_pos"] - r["start_pos"]) >= band)
        lo_, hi_ = min(r["start_pos"], r["end_pos"]), max(r["start_pos"], r["end_pos"])
        ds = 0
        if pt["dir"] is not None:
            ds = int(np.sum(pt["dir"][(x >= lo_) & (x <= hi_)]))
        sgn = 1 if v >= 0.0 else -1
        r["direction"] = sgn * (1 if ds >= 0 else -1) * (1 if t == 0 else -1)
        if math.isfinite(rat_pos):
            r["local"] = int(abs(r["start_pos"] - rat_pos) <= p["local_m"]
                             or abs(r["end_pos"] - rat_pos) <= p["local_m"])
        elif rat_xy is not None and self.tp.get("bin_xy") is not None:
            bxy = np.asarray(self.tp["bin_xy"], dtype=np.float64)
            for end in (r["start_pos"], r["end_pos"]):
                jb = int(np.argmin(np.abs(x - end)))
                b = pt["bins"][jb]
                if math.sqrt((bxy[b, 0] - rat_xy[0]) ** 2 + (bxy[b, 1] - rat_xy[1]) ** 2) \
                        <= p["local_m"]:
                    r["local"] = 1
        if r["significant"]:
            r["posterior"], r["post_rows"], r["post_cols"] = Q, K, P
        return r


def replay_score(tp, st, su, events, params=None, event_ids=None, rat_xy=None):
    """Per-event results (list of dicts with the keys of FIELDS plus 'posterior')."""
    rp = Replay(tp, params)
    st = np.asarray(st, dtype=np.float64)
    su = np.asarray(su, dtype=np.int64)
    events = np.asarray(events, dtype=np.float64)
    ids = range(len(events)) if event_ids is None else event_ids
    return [rp.event(int(e), events[e, 0], events[e, 1], events[e, 2], st, su,
                     None if rat_xy is None else rat_xy[e]) for e in ids]

# ---- benchmark ---------------------------------------------------------------------------------


def synthetic(n_events=1000, n_units=500, n_bins=100, length=2.0, seed=1):
    """Linear track, two directions; events: 70 % sweeps at 4-15 m/s (either template, either
    direction), 30 % unordered spikes of random cells; 100-150 ms each, 1 s apart."""
    rng = np.random.default_rng(seed)
    x = (np.arange(n_bins) + 0.5) * length / n_bins
    centres = rng.uniform(0, length, size=(2, n_units))
    peaks = rng.uniform(2.0, 25.0, size=(2, n_units))
    silent = rng.uniform(size=(2, n_units)) < 0.3
    peaks[silent] = 0.3
    width = 0.08
    rate = peaks[:, :, None] * np.exp(-0.5 * ((x[None, None, :] - centres[:, :, None]) / width)
                                      ** 2)
    rate[:, :, :2] = np.nan  # unvisited ends
    ts, us, ev = [], [], []
    for i in range(n_events):
        t0 = 1.0 + i
        dur = rng.uniform(0.1, 0.15)
        ev.append((t0, t0 + dur, rng.uniform(0, length)))
        if rng.uniform() < 0.7:
            tm = int(rng.integers(2))
            v = rng.uniform(4, 15) * (1 if rng.uniform() < 0.5 else -1)
            xs = rng.uniform(0, length)
            dt = 0.001
            tt = np.arange(t0, t0 + dur, dt)
            pos = np.clip(xs + v * (tt - t0), 0, length)
            lam = 5.0 * peaks[tm][None, :] * np.exp(
                -0.5 * ((pos[:, None] - centres[tm][None, :]) / width) ** 2) * dt
            k, u = np.nonzero(rng.uniform(size=lam.shape) < lam)
            ts.append(tt[k] + dt * rng.uniform(size=len(k)))
            us.append(u)
        else:
            n = int(rng.integers(30, 80))
            ts.append(t0 + dur * rng.uniform(size=n))
            us.append(rng.integers(0, n_units, size=n))
        # background
        n = rng.poisson(n_units * 0.5 * 1.0)
        ts.append(t0 - 0.4 + 0.8 * rng.uniform(size=n) + 0.5)
        us.append(rng.integers(0, n_units, size=n))
    st = np.concatenate(ts)
    su = np.concatenate(us).astype(np.int64)
    o = np.argsort(st, kind="stable")
    tp = dict(rate=rate, path_index=np.array([n_bins]), path_bins=np.arange(n_bins),
              path_pos=x, path_dir=None, bin_xy=None, is_arena=False)
    return tp, st[o], su[o], np.array(ev)


def write_input(path, tp, st, su, ev, n_shuffles, seed):
    T, U, B = tp["rate"].shape
    with open(path, "wb") as f:
        np.array([T, U, B, len(tp["path_index"]), len(tp["path_bins"]), len(st), len(ev),
                  n_shuffles, seed], dtype="<i8").tofile(f)
        np.ascontiguousarray(tp["rate"], dtype="<f8").tofile(f)
        np.asarray(tp["path_index"], dtype="<i8").tofile(f)
        np.asarray(tp["path_bins"], dtype="<i8").tofile(f)
        np.asarray(tp["path_pos"], dtype="<f8").tofile(f)
        np.asarray(st, dtype="<f8").tofile(f)
        np.asarray(su, dtype="<i8").tofile(f)
        np.asarray(ev, dtype="<f8").tofile(f)


def same(a, b):
    return (a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a)
                        and math.isnan(b))


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("driver", help="path of the built replay_bench")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--numpy-events", type=int, default=20)
    ap.add_argument("--shuffles", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    tp, st, su, ev = synthetic(a.events)
    with tempfile.TemporaryDirectory() as d:
        fin, fout = os.path.join(d, "in.bin"), os.path.join(d, "out.bin")
        write_input(fin, tp, st, su, ev, a.shuffles, a.seed)
        out = subprocess.run([a.driver, fin, fout, str(a.threads)], check=True,
                             capture_output=True, text=True).stdout
        c_s = float(out.split()[1])
        cres = np.fromfile(fout, dtype="<f8").reshape(len(ev), len(FIELDS))
    params = dict(n_shuffles=a.shuffles, seed=a.seed)
    ids = list(np.linspace(0, len(ev) - 1, a.numpy_events).astype(int))
    t0 = time.perf_counter()
    nres = replay_score(tp, st, su, ev, params, event_ids=ids)
    np_s = time.perf_counter() - t0
    mismatch = 0
    for e, r in zip(ids, nres):
        for fi, name in enumerate(FIELDS):
            if not same(float(r[name]), float(cres[e, fi])):
                mismatch += 1
                print(f"event {e} {name}: numpy {r[name]!r} C {cres[e, fi]!r}")
    dec = cres[:, FIELDS.index("decoded")] == 1
    c_per = c_s / len(ev)
    np_per = np_s / len(ids)
    print(f"C: {len(ev)} events ({int(dec.sum())} decoded), {a.shuffles} shuffles of each kind, "
          f"{a.threads} threads: {c_s:.2f} s ({1e3 * c_per:.2f} ms/event wall, "
          f"{1e3 * c_per * a.threads:.2f} ms/event CPU)")
    print(f"NumPy: {len(ids)} events: {np_s:.2f} s ({1e3 * np_per:.1f} ms/event)")
    print(f"ratio per event (NumPy / C single-thread equivalent): "
          f"{np_per / (c_per * a.threads):.1f}x; significant {int(cres[:, 19].sum())}")
    print(f"mismatching fields: {mismatch}")
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
