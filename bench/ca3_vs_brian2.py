#!/usr/bin/python3
"""ammon's spiking CA3 network against Brian2, side by side on the same machine.

For each network (b2eq: 8000 PCs + 1000 BCs, the Brian2-equivalent network of issue 5;
default: ammon's default model, 8000 + 150) and each STDP setting (off, on):
  1. ca3_bench --dump-params writes the parameters; bench/brian2_ca3.py builds and compiles the
     same network in Brian2 (cpp_standalone, one thread) once, into WORKDIR (kept between calls:
     a project is rebuilt only when its parameters change);
  2. the two contenders run alternately (ammon, Brian2, ammon, Brian2, ...), --repeats times
     each, the same simulated duration; every run is a fresh process;
  3. medians of the wall time and CPU time of the simulation loop (construction and compilation
     excluded on both sides), the ratio of wall times, synaptic events per second of wall time,
     bytes per synapse, and the population rates, which must agree within --tol (a FAIL line
     and exit status 1 otherwise).
--profile adds a perf profile of ca3_bench's stepping loop (perf record --control, so network
construction is not sampled), grouped by phase of am_net's step.

Run it with Debian's python (/usr/bin/python3), which sees python3-brian.
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# perf symbols of ca3_bench -> phase of am_net's step (src/network/am_net.c, run_steps); the
# first phase whose key is a substring of a symbol takes it
PHASES = [
    ("AdEx integration (am_adex.c run_heun)", ("run_heun", "run_euler", "block_", "step_blocks")),
    ("AdEx input copy + spike scan (am_adex_step_range, am_adex_end_step)",
     ("am_adex_step", "am_adex_end_step", "collect_spikes", "step_run")),
    ("PCs' inputs in one pass: drive, E->E, I->E (+ slow) conductances, current, LFP "
     "(am_net.c pc_inputs)", ("pc_inputs",)),
    ("Poisson drives (am_net.c drive_fire_range, drive_integrate, threshold draws; BC drive)",
     ("drive_", "philox", "am_rng", "log")),
    ("conductance update of the BCs (am_projection_advance_range, advance_cells)",
     ("am_projection_advance", "advance_cells", "am_projection_step_view")),
    ("BC currents and the rest of phase_inputs (am_net.c)", ("phase_inputs",)),
    ("spike delivery (am_projection_deliver_range)", ("am_projection_deliver",)),
    ("STDP (am_stdp_begin_step, am_stdp_apply_range)", ("am_stdp", "clip_w")),
    ("STP decay of all PCs (am_stp_step)", ("am_stp_step",)),
    ("step bookkeeping: spike lists, rate window (am_net.c phase_serial)",
     ("am_net_step", "run_steps", "phase_serial", "phase_outputs")),
    ("bench: place rates + am_net_set_drive_rates", ("main", "place_rates", "exp",
                                                       "am_net_set_drive_rates",
                                                       "update_pc_drive", "on_spike")),
]


def parse_kv(text):
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                out[parts[0]] = parts[1]
    return out


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_ammon(args, net, stdp, extra=()):
    cmd = [args.ammon, "--net", net, "--duration", str(args.duration), "--seed", str(args.seed)]
    cmd += (["--stdp"] if stdp else []) + shlex.split(args.input) + list(extra)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        sys.exit(f"ca3_vs_brian2: {' '.join(cmd)} failed:\n{res.stderr}")
    return parse_kv(res.stdout)


def brian2_dir(args, net, stdp):
    """Builds (or reuses) the Brian2 project of a configuration; returns its directory."""
    cmd = [args.ammon, "--net", net, "--duration", str(args.duration), "--seed", str(args.seed),
           "--dump-params"] + (["--stdp"] if stdp else []) + shlex.split(args.input)
    params = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    with open(os.path.join(HERE, "brian2_ca3.py"), "rb") as f:  # a changed script rebuilds
        stamp = params + "brian2_ca3.py sha256 " + hashlib.sha256(f.read()).hexdigest() + "\n"
    d = os.path.join(args.workdir, f"{net}_{'stdp' if stdp else 'static'}")
    os.makedirs(d, exist_ok=True)
    pfile, sfile = os.path.join(d, "params.json"), os.path.join(d, "stamp")
    meta = os.path.join(d, "project", "bench_meta.json")
    old = open(sfile).read() if os.path.exists(sfile) else None
    if old == stamp and os.path.exists(meta) and not args.rebuild:
        return os.path.join(d, "project")
    with open(pfile, "w") as f:
        f.write(params)
    log(f"  building Brian2 project {net} stdp={stdp} (compilation, not timed)")
    res = subprocess.run([args.python, os.path.join(HERE, "brian2_ca3.py"), "build",
                          "--params", pfile, "--dir", os.path.join(d, "project")],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"ca3_vs_brian2: Brian2 build failed:\n{res.stdout}\n{res.stderr}")
    with open(sfile, "w") as f:
        f.write(stamp)
    return os.path.join(d, "project")


def run_brian2(args, project):
    res = subprocess.run([args.python, os.path.join(HERE, "brian2_ca3.py"), "run",
                          "--dir", project], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"ca3_vs_brian2: Brian2 run failed:\n{res.stdout}\n{res.stderr}")
    return parse_kv(res.stdout)


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def profile(args, net, stdp):
    """perf profile of the stepping loop only; returns [(phase, share, symbols)] and raw rows."""
    with tempfile.TemporaryDirectory() as tmp:
        ctl, ack, data = (os.path.join(tmp, n) for n in ("ctl", "ack", "perf.data"))
        os.mkfifo(ctl)
        os.mkfifo(ack)
        cmd = ["perf", "record", "-F", "999", "--control", f"fifo:{ctl},{ack}", "-D", "-1",
               "-o", data, "--", args.ammon, "--net", net, "--duration", str(args.duration),
               "--seed", str(args.seed), "--perf-ctl", f"{ctl},{ack}"]
        cmd += (["--stdp"] if stdp else []) + shlex.split(args.input)
        res = subprocess.run(cmd, capture_output=True, text=True,
                             env=dict(os.environ, OMP_NUM_THREADS="1"))
        if res.returncode != 0:
            log(f"  perf failed: {res.stderr.strip()[-400:]}")
            return None, None
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                              "--sort", "symbol", "--percent-limit", "0.05"],
                             capture_output=True, text=True)
    rows = []
    for line in rep.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if m:
            rows.append((float(m.group(1)), m.group(2)))
    phases = []
    used = set()
    for name, keys in PHASES:
        syms = [(p, s) for p, s in rows
                if s not in used and any(k in s.split(".")[0] for k in keys)]
        for _, s in syms:
            used.add(s)
        share = sum(p for p, _ in syms)
        if share > 0:
            phases.append((name, share, [s for _, s in syms]))
    other = sum(p for p, s in rows if s not in used)
    phases.append(("other (kernel, libc, ...)", other, []))
    return phases, rows


def main():
    ap = argparse.ArgumentParser(
        description="ammon's CA3 network (ca3_bench) against the same network in Brian2 "
                    "(brian2_ca3.py), alternating runs, medians, rate check.",
        epilog="Example: /usr/bin/python3 bench/ca3_vs_brian2.py --ammon build/release/ca3_bench "
               "--duration 3 --repeats 3 --profile")
    ap.add_argument("--ammon", default=os.path.join(ROOT, "build", "release", "ca3_bench"),
                    help="ca3_bench executable (default: build/release/ca3_bench)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="python that sees Brian2 (default /usr/bin/python3)")
    ap.add_argument("--nets", nargs="+", default=["b2eq", "default"],
                    choices=["b2eq", "default"], help="networks (default: both)")
    ap.add_argument("--stdp", nargs="+", default=["off", "on"], choices=["off", "on"],
                    help="E->E STDP settings (default: both)")
    ap.add_argument("--duration", type=float, default=3.0, help="simulated seconds (default 3)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each contender (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    ap.add_argument("--tol", type=float, default=0.05,
                    help="largest relative rate difference (default 0.05)")
    ap.add_argument("--input", default="",
                    help="extra ca3_bench options for both sides, e.g. \"--peak 100 --bg 50\"")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ammon_ca3_bench"),
                    help="Brian2 projects and results.json (default: $TMPDIR/ammon_ca3_bench)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the Brian2 projects")
    ap.add_argument("--no-brian2", action="store_true", help="run ammon only")
    ap.add_argument("--profile", action="store_true",
                    help="also profile ca3_bench's stepping loop with perf, by phase")
    args = ap.parse_args()
    if not os.access(args.ammon, os.X_OK):
        sys.exit(f"ca3_vs_brian2: {args.ammon} not found; build it (cmake --build BUILD "
                 "--target ca3_bench) and pass --ammon BUILD/ca3_bench")
    if args.repeats < 1 or args.duration <= 0:
        sys.exit("ca3_vs_brian2: --repeats >= 1 and --duration > 0")
    os.makedirs(args.workdir, exist_ok=True)

    configs = [(n, s == "on") for n in args.nets for s in args.stdp]
    projects = {}
    if not args.no_brian2:
        for net, stdp in configs:
            projects[(net, stdp)] = brian2_dir(args, net, stdp)

    results, failed = [], False
    for net, stdp in configs:
        a_runs, b_runs = [], []
        for r in range(args.repeats):
            a_runs.append(run_ammon(args, net, stdp))
            log(f"  {net} stdp={int(stdp)} run {r + 1}: ammon {a_runs[-1]['wall_s']:.2f} s")
            if not args.no_brian2:
                b_runs.append(run_brian2(args, projects[(net, stdp)]))
                log(f"  {net} stdp={int(stdp)} run {r + 1}: Brian2 {b_runs[-1]['wall_s']:.2f} s")
        row = {"net": net, "stdp": stdp, "duration": args.duration, "ammon_runs": a_runs,
               "brian2_runs": b_runs}
        for who, runs in (("ammon", a_runs), ("brian2", b_runs)):
            if not runs:
                continue
            for k in ("wall_s", "cpu_s", "rtf", "rtf_cpu", "rate_e_hz", "rate_i_hz",
                      "events_per_s", "events_per_sim_s", "bytes_per_syn_ee",
                      "bytes_per_syn_static", "bytes_per_syn_all", "max_rss_mb", "n_syn"):
                row[f"{who}_{k}"] = med(runs, k)
            if "mean_w_ee_nS" in runs[0]:
                row[f"{who}_mean_w_ee_nS"] = med(runs, "mean_w_ee_nS")
        if b_runs:
            row["wall_ratio"] = row["ammon_wall_s"] / row["brian2_wall_s"]
            row["cpu_ratio"] = row["ammon_cpu_s"] / row["brian2_cpu_s"]
            for pop in ("e", "i"):
                a, b = row[f"ammon_rate_{pop}_hz"], row[f"brian2_rate_{pop}_hz"]
                diff = abs(a - b) / (0.5 * (a + b)) if a + b > 0 else 0.0
                row[f"rate_{pop}_diff"] = diff
                if diff > args.tol:
                    failed = True
                    print(f"FAIL {net} stdp={'on' if stdp else 'off'}: {pop.upper()} rates "
                          f"ammon {a:.3f} Hz, Brian2 {b:.3f} Hz differ by {100 * diff:.1f} % "
                          f"(> {100 * args.tol:.0f} %)")
        if args.profile:
            phases, rows = profile(args, net, stdp)
            row["profile"] = phases
            row["profile_symbols"] = rows
        results.append(row)

    with open(os.path.join(args.workdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    print(f"\nCA3 network, {args.duration:g} s simulated, dt 0.1 ms, one thread, medians of "
          f"{args.repeats} alternating runs (wall time of the simulation loop)\n")
    print("| network | STDP | ammon / Brian2 wall | ammon / Brian2 CPU | RTF ammon | RTF Brian2 "
          "| events/s ammon | events/s Brian2 | B/syn E->E ammon / Brian2 "
          "| B/syn static ammon / Brian2 | rate E ammon / Brian2 (Hz) "
          "| rate I ammon / Brian2 (Hz) | mean E->E w ammon / Brian2 (nS) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        b = bool(r["brian2_runs"])

        def g(who, k, fmt):
            key = f"{who}_{k}"
            return format(r[key], fmt) if key in r else "-"
        print(f"| {r['net']} | {'on' if r['stdp'] else 'off'} "
              f"| {format(r['wall_ratio'], '.2f') if b else '-'} "
              f"| {format(r['cpu_ratio'], '.2f') if b else '-'} "
              f"| {g('ammon', 'rtf', '.2f')} | {g('brian2', 'rtf', '.2f')} "
              f"| {g('ammon', 'events_per_s', '.3g')} | {g('brian2', 'events_per_s', '.3g')} "
              f"| {g('ammon', 'bytes_per_syn_ee', '.0f')} / {g('brian2', 'bytes_per_syn_ee', '.0f')} "
              f"| {g('ammon', 'bytes_per_syn_static', '.0f')} / "
              f"{g('brian2', 'bytes_per_syn_static', '.0f')} "
              f"| {g('ammon', 'rate_e_hz', '.3f')} / {g('brian2', 'rate_e_hz', '.3f')} "
              f"| {g('ammon', 'rate_i_hz', '.2f')} / {g('brian2', 'rate_i_hz', '.2f')} "
              f"| {g('ammon', 'mean_w_ee_nS', '.4f')} / {g('brian2', 'mean_w_ee_nS', '.4f')} |")
    for r in results:
        if r["brian2_runs"]:
            print(f"\n{r['net']} STDP {'on' if r['stdp'] else 'off'}: synapses ammon "
                  f"{r['ammon_n_syn']:.0f}, Brian2 {r['brian2_n_syn']:.0f}; peak RSS ammon "
                  f"{r['ammon_max_rss_mb']:.0f} MB, Brian2 {r['brian2_max_rss_mb']:.0f} MB; "
                  f"rates differ by E {100 * r['rate_e_diff']:.1f} %, I "
                  f"{100 * r['rate_i_diff']:.1f} %")
        if r.get("profile"):
            print(f"\nProfile of ammon's stepping loop, {r['net']} STDP "
                  f"{'on' if r['stdp'] else 'off'} (perf, share of samples):")
            for name, share, syms in r["profile"]:
                print(f"  {share:5.1f} %  {name}" + (f"  [{', '.join(syms)}]" if syms else ""))
    if failed:
        print("\nFAIL: population rates differ by more than "
              f"{100 * args.tol:.0f} % (lines above)")
        return 1
    if not args.no_brian2:
        print(f"\nOK: population rates agree within {100 * args.tol:.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
