"""Motion statistics of the simulated rat, from /behavior as written.

Arenas (RatInABox model): over a long seeded run, mean speed and the spread (std) of rotational
velocity are within 10 % of the configured values (the issue's tolerance; the 10 ms sampling
biases the std by about 2 %, sampling noise over an hour is < 2 %). The rotational velocity is
measured from the heading more than wall_repel_distance + 5 cm from every wall, because wall
repulsion (a separate mechanism) turns the rat near walls. The rat is always inside the arena and
never crosses an inner wall.
Tracks: the rat is always on the track (within half the corridor width of an edge), the cruising
speed is within 10 % of run_speed, and every arrival at a reward site is logged as a reward or
an omission.
Usage: check_motion.py SCIENCE_DIR NAME
"""
import configparser
import sys

import numpy as np

from am_read import finish, load, report, running_mask, session_path

s = load(session_path(sys.argv))
f = s["file"]
name = sys.argv[2]
cfg = configparser.ConfigParser(inline_comment_prefixes=(";",))
cfg.read_string(f["config/resolved"][()].decode())
results = []
on_maze = ~np.isnan(s["x"])
x, y = s["x"][on_maze], s["y"][on_maze]


def seg_dist(px, py, a, b):
    ab = b - a
    t = np.clip(((px - a[0]) * ab[0] + (py - a[1]) * ab[1]) / (ab @ ab), 0, 1)
    return np.hypot(px - (a[0] + t * ab[0]), py - (a[1] + t * ab[1]))


def crosses(p, q, a, b):
    """Segments p-q (arrays of points) properly cross segment a-b."""
    def orient(u, v, w):
        return np.sign((v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1])
                       - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0]))
    a = np.broadcast_to(a, p.shape)
    b = np.broadcast_to(b, p.shape)
    return (orient(p, q, a) * orient(p, q, b) < 0) & (orient(a, b, p) * orient(a, b, q) < 0)


if s["kind"] == "arena":
    lo = f["maze/bounds"][()][:2]
    hi = f["maze/bounds"][()][2:]
    inside = (x > lo[0]) & (x < hi[0]) & (y > lo[1]) & (y < hi[1])
    results.append(report(f"{name}: inside the arena", bool(inside.all()),
                          f"{(~inside).sum()} of {len(x)} samples outside"))
    walls = cfg["maze"]["walls_cm"].strip()
    if walls:
        p = np.stack([x[:-1], y[:-1]], 1)
        q = np.stack([x[1:], y[1:]], 1)
        n_cross = 0
        for w in walls.split(";"):
            v = np.array([float(t) for t in w.split()]) / 100
            n_cross += int(crosses(p, q, v[:2], v[2:]).sum())
        results.append(report(f"{name}: never through a wall", n_cross == 0,
                              f"{n_cross} crossings of inner walls"))
    run = running_mask(s, min_speed=-1)
    mean_speed = float(np.mean(s["speed"][run]))
    want = float(cfg["agent"]["speed_mean_cm_s"]) / 100
    results.append(report(f"{name}: mean speed", abs(mean_speed / want - 1) < 0.10,
                          f"{mean_speed * 100:.2f} cm/s, configured {want * 100:.2f} (10 %)"))
    # Rotational velocity from the heading, away from walls: within wall_repel_distance the
    # (documented, separate) wall repulsion turns the rat, on top of the OU rotational velocity.
    bnd = f["maze/boundary"][()]
    segs = [(bnd[i], bnd[(i + 1) % len(bnd)]) for i in range(len(bnd))]
    segs += [(w[:2], w[2:]) for w in f["maze/walls"][()]]
    dwall = np.full(len(s["x"]), np.inf)
    for a, b in segs:
        dwall = np.minimum(dwall, seg_dist(s["x"], s["y"], a, b))
    margin = float(cfg["agent"]["wall_repel_distance_cm"]) / 100 + 0.05
    hd = np.unwrap(s["head_dir"])
    rotvel = np.diff(hd) / s["dt_b"]
    away = (run & (dwall > margin))[:-1] & (run & (dwall > margin))[1:]
    rot_std = float(np.degrees(np.std(rotvel[away])))
    want_rot = float(cfg["agent"]["rotvel_std_deg_s"])
    results.append(report(f"{name}: rotational velocity std", abs(rot_std / want_rot - 1) < 0.10,
                          f"{rot_std:.1f} deg/s away from walls ({away.mean() * 100:.0f} % of "
                          f"samples), configured {want_rot:.1f} (10 %)"))
else:
    nodes = f["maze/nodes"][()]
    edges = f["maze/edges"][()]
    width = float(f["maze"].attrs["track_width_m"])
    d = np.full(len(x), np.inf)
    for a, b in edges:
        d = np.minimum(d, seg_dist(x, y, nodes[a], nodes[b]))
    results.append(report(f"{name}: on the track", bool((d <= width / 2 + 1e-9).all()),
                          f"max distance from the centreline {d.max() * 100:.3f} cm "
                          f"(half width {width * 50:.1f} cm)"))
    v = float(cfg["agent"]["run_speed_cm_s"]) / 100
    sp = s["speed"]
    cruise = sp[sp > 0.7 * v]
    med = float(np.median(cruise))
    results.append(report(f"{name}: cruising speed", abs(med / v - 1) < 0.10,
                          f"median {med * 100:.1f} cm/s, configured {v * 100:.1f} (10 %)"))
    ev = f["events"]
    names = [k.decode() if isinstance(k, bytes) else k for k in ev["kind_names"][()]]
    kinds = ev["kind"][()]
    arrivals = int(np.isin(kinds, [names.index("reward"), names.index("omission")]).sum())
    laps = int(f["summary"].attrs["laps"])
    lap_epochs = int(f["epochs/laps"][()].sum())
    results.append(report(f"{name}: arrivals logged", arrivals == laps == lap_epochs and laps > 0,
                          f"{arrivals} reward/omission events, {laps} laps, "
                          f"{lap_epochs} laps in /epochs"))
finish(results)
