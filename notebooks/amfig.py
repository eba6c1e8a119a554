"""Shared reading and plotting code of the figure notebooks (notebooks/*.ipynb).

The notebooks read the HDF5 files that scripts/figures.sh makes (session files of `ammon run`,
analysis files of `ammon analyze`; layouts in docs/output-format.md and docs/analysis-format.md)
with h5py, and write PNGs. Two environment variables say where:

- AMMON_FIG_DATA: the folder holding the runs (default: out/figures/data in the repository);
- AMMON_FIG_DIR: the folder the PNGs go to (default: notebooks/figures).

Recorded values come from data/reference/checks.csv (observable, window, facts) and
data/reference/facts.csv (citations); a fact not yet copied there is looked up in the project's
shared table (../shared/reference/facts.csv) when it exists.

Debian's Python only: /usr/bin/python3 with python3-h5py, python3-numpy, python3-scipy,
python3-matplotlib.
"""
import csv
import glob
import os
import re

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.environ.get("AMMON_FIG_DATA", os.path.join(ROOT, "out", "figures", "data"))
FIGS = os.environ.get("AMMON_FIG_DIR", os.path.join(HERE, "figures"))

# Colours used by every notebook: forward/reverse, awake/sleep, the arms of an ablation.
C_FWD, C_REV = "#1f77b4", "#d62728"
C_REC = "0.55"  # recorded ranges: grey bands and markers
ARM_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]


def style():
    """Publication-style defaults: small sans-serif text, no top/right spines, 200 dpi PNGs."""
    plt.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 200, "savefig.bbox": "tight",
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False,
        "axes.spines.right": False, "legend.frameon": False, "lines.linewidth": 1.2,
        "image.cmap": "viridis",
    })


# ---------------------------------------------------------------- files


def path(name):
    """DATA/name (name without .h5 gets it)."""
    return os.path.join(DATA, name if name.endswith(".h5") else name + ".h5")


def have(name):
    return os.path.exists(path(name))


def seeds(prefix):
    """Seeds of the session files DATA/<prefix>_s<N>.h5, sorted."""
    out = []
    for p in glob.glob(os.path.join(DATA, f"{prefix}_s*.h5")):
        m = re.fullmatch(re.escape(prefix) + r"_s(\d+)\.h5", os.path.basename(p))
        if m:
            out.append(int(m.group(1)))
    return sorted(out)


def open_h5(name):
    return h5py.File(path(name), "r")


def names(ds):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in ds[()]]


def table(group, cols=None):
    """Dict of the columns of an ammon table (an HDF5 group of equal-length datasets)."""
    cols = cols or [k for k in group.keys() if isinstance(group[k], h5py.Dataset)
                    and not k.endswith("_names")]
    return {k: group[k][()] for k in cols}


def save(fig, name):
    """Write FIGS/name.png and say where."""
    os.makedirs(FIGS, exist_ok=True)
    p = os.path.join(FIGS, name + ".png")
    fig.savefig(p)
    print("wrote", p)
    return p


# ---------------------------------------------------------------- recorded values


def _read_csv(p):
    if not os.path.exists(p):
        return []
    with open(p, newline="") as f:
        return list(csv.DictReader(f))


def _facts():
    rows = {}
    for p in (os.path.join(ROOT, "..", "shared", "reference", "facts.csv"),
              os.path.join(ROOT, "data", "reference", "facts.csv")):  # the repository's wins
        for r in _read_csv(p):
            rows[r["fact_id"]] = r
    return rows


FACTS = _facts()
CHECKS = {r["observable"]: r for r in _read_csv(os.path.join(ROOT, "data", "reference",
                                                              "checks.csv"))}


def _num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return float("nan")


def fact(fact_id):
    """(value, lo, hi, units, source) of a fact; None if the fact is in no table."""
    r = FACTS.get(fact_id)
    if r is None:
        return None
    return _num(r["value"]), _num(r["lo"]), _num(r["hi"]), r["units"], r["source"]


def cite(*fact_ids):
    """Short citations of the given facts, '; '-joined (each source once)."""
    out = []
    for i in fact_ids:
        r = FACTS.get(i)
        s = r["source"] if r else i
        if s not in out:
            out.append(s)
    return "; ".join(out)


def check(observable):
    """(lo, hi, citation) of a row of checks.csv; None if it has no such row."""
    r = CHECKS.get(observable)
    if r is None:
        return None
    return _num(r["lo"]), _num(r["hi"]), cite(*[x for x in r["facts"].split(";") if x])


def band(ax, lo, hi, label="recorded", axis="y", **kw):
    """A grey band for a recorded range (axis='y': horizontal band, 'x': vertical)."""
    kw = {"color": C_REC, "alpha": 0.25, "lw": 0, "label": label, **kw}
    return (ax.axhspan if axis == "y" else ax.axvspan)(lo, hi, **kw)


# ---------------------------------------------------------------- sessions and analyses


def epochs(f):
    """List of (start, stop, kind name) of a session file."""
    ep = f["epochs"]
    kinds = names(ep["kind_names"])
    return [(a, b, kinds[k]) for a, b, k in zip(ep["start"][()], ep["stop"][()], ep["kind"][()])]


def task_events(f):
    """The /events table of a session file with 'kind' as names."""
    ev = f["events"]
    kn = names(ev["kind_names"])
    d = table(ev, ["t", "kind", "site", "magnitude"])
    d["name"] = np.array([kn[k] for k in d["kind"]])
    return d


def stops(f, site):
    """(arrival, departure) of every stop at a reward site (arrivals: rewards and omissions)."""
    ev = task_events(f)
    arr = ev["t"][np.isin(ev["name"], ["reward", "omission"]) & (ev["site"] == site)]
    b = f["behavior"]
    bt, sp = b["t"][()], b["speed"][()]
    out = []
    for t0 in np.sort(arr):
        k = np.searchsorted(bt, t0)
        moving = np.nonzero(sp[k:] > 0)[0]
        out.append((t0, bt[k + moving[0]] if len(moving) else bt[-1]))
    return out


def replay_events(a):
    """The /events table of an analysis file (dict of columns)."""
    return table(a["events"])


def posterior(a, row):
    """(K x P posterior, positions of the P path bins (m)) of the event in /events row `row`;
    None if the event has no stored posterior (only significant events have one)."""
    p = a["posteriors"]
    ev = p["event"][()]
    k = np.nonzero(ev == row)[0]
    if not len(k):
        return None
    k = int(k[0])
    idx = p["index"][()]
    lo = 0 if k == 0 else int(idx[k - 1])
    nb, npos = int(p["n_bins"][k]), int(p["n_pos"][k])
    post = p["data"][lo:idx[k]].reshape(nb, npos)
    e = replay_events(a)
    path_i = int(e["path"][row])
    pb = a["paths"]
    pidx = pb["index"][()] if "index" in pb else np.array([len(pb["pos"])])
    plo = 0 if path_i == 0 else int(pidx[path_i - 1])
    pos = pb["pos"][plo:pidx[path_i]]
    return post, pos


def network_spikes(f, population=0):
    s = f["network/spikes"]
    pop = s["population"][()]
    m = pop == population
    return s["t"][()][m], s["cell"][()][m]


def field_order(f, pref_dir):
    """Cells with a field whose preferred direction is pref_dir (+1, -1), sorted by field centre:
    (cells, centres in m)."""
    c = f["cells"]
    act = c["active"][()].astype(bool)
    cen = c["field_centre_lin"][()]
    pd = c["pref_dir"][()]
    cells = np.nonzero(act & (pd == pref_dir))[0]
    o = np.argsort(cen[cells])
    return cells[o], cen[cells][o]


def lived_delta(f):
    """Lived prediction errors of a /td table: (t, delta)."""
    td = f["td"]
    src = names(td["source_names"]) if "source_names" in td else ["run"]
    m = td["source"][()] == src.index("run")
    return td["t"][()][m], td["delta"][()][m]


def block_mean(x, n):
    """Means of consecutive blocks of n values (the last, partial block dropped)."""
    x = np.asarray(x, float)
    k = len(x) // n
    return x[:k * n].reshape(k, n).mean(axis=1) if k else np.array([])


def mean_sem(rows):
    """Mean and s.e.m. over rows of a ragged list (truncated to the shortest row)."""
    rows = [np.asarray(r, float) for r in rows if len(r)]
    if not rows:
        return np.array([]), np.array([])
    n = min(len(r) for r in rows)
    m = np.array([r[:n] for r in rows])
    sem = m.std(axis=0, ddof=1) / np.sqrt(len(m)) if len(m) > 1 else np.zeros(n)
    return m.mean(axis=0), sem


def wrap(text, width=60):
    """Text wrapped to lines of at most width characters (titles with citations)."""
    import textwrap
    return "\n".join(textwrap.wrap(text, width))


def bars_vs_recorded(ax, labels, values, lo, hi, colours=None, recorded_label="recorded"):
    """Model values as bars and, next to them, the recorded range as a grey floating bar (a
    line where lo == hi, i.e. a single recorded value)."""
    colours = colours or ARM_COLOURS[:len(values)]
    x = np.arange(len(values))
    ax.bar(x, values, 0.6, color=colours)
    xr = len(values)
    if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
        ax.bar([xr], [hi - lo], 0.6, bottom=[lo], color=C_REC, alpha=0.5)
    elif np.isfinite(lo):
        ax.plot([xr - 0.3, xr + 0.3], [lo, lo], color=C_REC, lw=3)
    ax.set_xticks(list(x) + [xr], list(labels) + [recorded_label], rotation=25, ha="right")
    for xi, v in zip(x, values):
        if np.isfinite(v):
            ax.text(xi, v, f"{v:.2g}", ha="center", va="bottom", fontsize=6)
    return x


# ---------------------------------------------------------------- reward change (two notebooks)

PHASES = ("before", "raised", "lowered")


def reward_phases(f, a, site=1, changed_site=1, n=10, near_m=0.5):
    """Replays and candidate events during the stops at one end of a reward-change run
    (data/configs/reward_change.ini), by phase, counted as tests/science/check_reward_change.py
    counts them. f: the session file, a: its analysis (`ammon analyze`); site: the reward site
    whose stops are counted (1: the far end, whose reward changes; 0: the near end, unchanged);
    changed_site: the site whose /events reward_change rows (the raise, then the lowering) define
    the phases.

    A stop runs from an arrival at the site to the next departure. A replay *starts there* if it is
    significant, its peak lies inside a stop at the site, and its decoded line starts within near_m
    of that end of the track; it is reverse (direction -1) or forward (+1). Phases: the last n
    stops before the raise, the first n after it (before the lowering), the first n after the
    lowering.

    Returns a dict: per_stop (stops x 2: reverse, forward replays starting there), n_events (every
    candidate event `ammon analyze` found peaking in each stop, significant or not), dur (each
    stop's length, s), k_up / k_dn (index of the first stop after the raise / the lowering),
    phase (name -> slice of stops), counts (name -> [reverse, forward]), events (name -> candidate
    events), seconds (name -> time stopped), rate (name -> candidate events per second stopped),
    mag (the new reward magnitudes: raised, lowered), delta (the closed loop's prediction error at
    each arrival, /td_loop; NaN without it)."""
    ev = task_events(f)
    ch = (ev["name"] == "reward_change") & (ev["site"] == changed_site)
    t_ch, mag = ev["t"][ch], ev["magnitude"][ch]
    lin = f["behavior/lin"][()]
    end = float(np.nanmax(lin)) if site == 1 else float(np.nanmin(lin))
    st = stops(f, site)
    e = replay_events(a)
    near = (e["significant"] == 1) & (np.abs(e["start_pos"] - end) < near_m)
    per_stop, n_ev = [], []
    for t0, t1 in st:
        inside = (e["peak_t"] >= t0) & (e["peak_t"] < t1)
        m = near & inside
        per_stop.append((int((m & (e["direction"] == -1)).sum()),
                         int((m & (e["direction"] == 1)).sum())))
        n_ev.append(int(inside.sum()))
    per_stop = np.array(per_stop, dtype=int).reshape(-1, 2)
    n_ev = np.array(n_ev, dtype=int)
    dur = np.array([t1 - t0 for t0, t1 in st], dtype=float)
    arr = np.array([t0 for t0, _ in st])
    k_up = int(np.searchsorted(arr, t_ch[0]))  # first stop after the raise
    k_dn = int(np.searchsorted(arr, t_ch[1]))
    ph = {"before": slice(max(0, k_up - n), k_up), "raised": slice(k_up, min(k_up + n, k_dn)),
          "lowered": slice(k_dn, k_dn + n)}
    counts = {p: per_stop[sl].sum(axis=0) for p, sl in ph.items()}
    events = {p: int(n_ev[sl].sum()) for p, sl in ph.items()}
    seconds = {p: float(dur[sl].sum()) for p, sl in ph.items()}
    rate = {p: events[p] / seconds[p] if seconds[p] > 0 else float("nan") for p in ph}
    delta = np.full(len(arr), np.nan)
    if "td_loop" in f:
        lt, ld = f["td_loop/t"][()], f["td_loop/delta"][()]
        if len(lt):
            for j, t0 in enumerate(arr):
                delta[j] = ld[np.argmin(np.abs(lt - t0))]
    return dict(per_stop=per_stop, n_events=n_ev, dur=dur, k_up=k_up, k_dn=k_dn, phase=ph,
                counts=counts, events=events, seconds=seconds, rate=rate, mag=mag, delta=delta)
