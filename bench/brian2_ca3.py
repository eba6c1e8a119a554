#!/usr/bin/python3
"""The Brian2 side of bench/ca3_vs_brian2.py: ammon's CA3 network (am_net) written in Brian2.

Two steps, so that compilation is never timed:

  build  reads the parameters that ca3_bench dumps (``ca3_bench --net NET [--stdp]
         --duration S --dump-params > params.json``), builds the network with
         set_device('cpp_standalone') (one thread, Brian2's default compiler flags) and compiles
         it into DIR without running it;
  run    runs DIR's executable once and prints "key value" lines like ca3_bench.

Timing: code inserted around the network's run() (device.insert_code 'before_network_run' /
'after_network_run') writes the wall time (CLOCK_MONOTONIC) and the CPU time of the simulation
loop alone to results/bench_time.txt: synapse creation, spike-queue preparation and the writing
of results are outside it, as network construction is outside ca3_bench's timing. Brian2's own
run time (results/last_run_info.txt, std::clock, i.e. CPU time in a single-threaded build) is
printed as brian_run_s for comparison.

The model is ammon's, step for step (bench/README.md lists the correspondence and the
differences):
  - AdEx, Heun's method (an ExplicitStateUpdater: Brian2's 'heun' is the stochastic Heun method,
    i.e. forward Euler for these deterministic equations), exp argument capped at V_peak, the
    synaptic current
    g_e (E_e - V) + g_i (E_i - V) computed at the step's start and held over the step (as
    am_net, which calls am_adex_step with that current);
  - dual-exponential conductances advanced with their exact factors once per step at the step's
    start; a spike adds w to a decay variable d (g follows it: g <- g e_r + norm (e_d - e_r) d,
    d <- d e_d), which is ammon's (d, r) pair rewritten with one variable that jumps;
  - delays in whole steps (ammon's rounding, at least one step); a spike of step s enters the
    conductance state at step s + delay, as in ammon;
  - E->E pair STDP with all-to-all pairing on a separate pre pathway without delay (ammon pairs
    somatic spike times), traces per synapse (event-driven, Brian2's usual form);
  - Poisson drives: PoissonGroup + one-to-one Synapses (Ecker et al.'s form), rates set by
    run_regularly every update interval (PCs) or per step (theta-paced BCs).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np


def norm_of(tau_r, tau_d):
    """ammon's (and Ecker et al.'s) peak normaliser of the dual exponential."""
    if tau_r <= 0:
        return 1.0
    tp = tau_r * tau_d / (tau_d - tau_r) * math.log(tau_d / tau_r)
    return tau_d / (tau_d - tau_r) / (math.exp(-tp / tau_d) - math.exp(-tp / tau_r))


def kinetics(syn, dt):
    """Per-step factors of a projection: decay e_d, rise e_r and c = norm (e_d - e_r)."""
    ed = math.exp(-dt / syn["tau_decay"])
    er = math.exp(-dt / syn["tau_rise"]) if syn["tau_rise"] > 0 else 0.0
    return ed, er, norm_of(syn["tau_rise"], syn["tau_decay"]) * (ed - er)


def build(args):
    import brian2 as b2
    from brian2 import second, volt, amp, siemens, farad, Hz

    with open(args.params) as f:
        P = json.load(f)
    if P["unsupported"]["ee_stp_u"] != 0 or P["unsupported"]["ie_slow_w"] != 0:
        sys.exit("brian2_ca3.py: E->E short-term depression and slow inhibition are not "
                 "written here; turn them off (ammon's defaults have them off)")
    for pop in ("pc", "bc"):
        if P[pop]["integrator"] != "heun":
            sys.exit("brian2_ca3.py: only ammon's Heun integrator is written here")

    directory = os.path.abspath(args.dir)
    b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread, no OpenMP
    dt = P["dt"]
    b2.defaultclock.dt = dt * second
    b2.seed(P["seed"])
    st = P["state"]
    ne, ni = P["n_e"], P["n_i"]

    adex = """
    dv/dt = (-g_L*(v - E_L) + g_L*Delta_T*exp((clip(v, -1*volt, V_peak) - V_T)/Delta_T)
             - w_ad + I_syn)/C : volt (unless refractory)
    dw_ad/dt = (a*(v - E_L) - w_ad)/tau_w : amp
    I_syn : amp
    nspk : integer
    """

    # Heun's method (explicit trapezoid), as ammon's AM_ADEX_HEUN. Brian2's own "heun" is the
    # stochastic Heun method, which reduces to forward Euler for deterministic equations.
    heun = b2.ExplicitStateUpdater("""
    k_1 = dt*f(x, t)
    k_2 = dt*f(x + k_1, t + dt)
    x_new = x + (k_1 + k_2)/2
    """)

    def neuron_ns(q):
        return dict(C=q["C"] * farad, g_L=q["g_L"] * siemens, E_L=q["E_L"] * volt,
                    V_T=q["V_T"] * volt, Delta_T=q["Delta_T"] * volt, V_peak=q["V_peak"] * volt,
                    V_reset=q["V_reset"] * volt, a=q["a"] * siemens, b=q["b"] * amp,
                    tau_w=q["tau_w"] * second, E_e=P["e_exc"] * volt, E_i=P["e_inh"] * volt)

    def group(n, q, channels, exc, inh, name):
        """AdEx group with one (d, g) pair per input channel and the per-step update code."""
        eqs = adex + "".join(f"d_{c} : siemens\ng_{c} : siemens\n" for c, _ in channels)
        ns = neuron_ns(q)
        code = []
        for c, syn in channels:
            ed, er, k = kinetics(syn, dt)
            ns.update({f"ed_{c}": ed, f"er_{c}": er, f"c_{c}": k})
            code += [f"g_{c} = g_{c}*er_{c} + c_{c}*d_{c}", f"d_{c} = d_{c}*ed_{c}"]
        ge = " + ".join(f"g_{c}" for c in exc)
        gi = " + ".join(f"g_{c}" for c in inh)
        code.append(f"I_syn = ({ge})*(E_e - v) + ({gi})*(E_i - v)")
        g = b2.NeuronGroup(n, eqs, threshold="v > V_peak",
                           reset="v = V_reset\nw_ad += b\nnspk += 1",
                           refractory=q["t_ref"] * second, method=heun, namespace=ns,
                           name=name)
        g.v = q["E_L"] * volt
        g.run_regularly("\n".join(code), when="start", name=name + "_syn")
        return g

    E = group(ne, P["pc"], [("ee", P["ee"]), ("ie", P["ie"]), ("mf", P["mf"])],
              ["ee", "mf"], ["ie"], "E")
    bc_drive = st["bc_rate"] > 0
    ch_i = [("ei", P["ei"]), ("ii", P["ii"])] + ([("dr", P["ei"])] if bc_drive else [])
    I = group(ni, P["bc"], ch_i, ["ei"] + (["dr"] if bc_drive else []), ["ii"], "I")

    # recurrent projections; E->E has a weight per synapse (plastic), the others the constant
    # weight of ammon's defaults (as in Ecker et al.'s code)
    ee, ach = P["ee"], st["ee_transmission"]
    ee_ns = {"ach": ach}
    model = "w : siemens"
    on_pre = {"pre": "d_ee_post += ach*w"}
    delay = {"pre": ee["delay_steps"] * dt * second}
    on_post = None
    if st["stdp_on"]:
        r = P["stdp_rule"]
        ee_ns.update(tau_c=r["tau_causal"] * second, tau_ac=r["tau_acausal"] * second,
                     a_c=r["a_causal"] * siemens, a_ac=r["a_acausal"] * siemens,
                     w_max=r["w_max"] * siemens)
        model += """
        dapre/dt = -apre/tau_c : 1 (event-driven)
        dapost/dt = -apost/tau_ac : 1 (event-driven)
        """
        on_pre["plast"] = "apre += 1\nw = clip(w + a_ac*apost, 0*siemens, w_max)"
        delay["plast"] = 0 * second
        delay["post"] = 0 * second  # scalar: otherwise Brian2 stores a delay per synapse
        on_post = "apost += 1\nw = clip(w + a_c*apre, 0*siemens, w_max)"
    S_ee = b2.Synapses(E, E, model, on_pre=on_pre, on_post=on_post, delay=delay,
                       namespace=ee_ns, name="S_ee")
    S_ee.connect(condition=None if ee["allow_self"] else "i != j", p=ee["p"])
    S_ee.w = ee["w"] * siemens

    def static(src, tgt, syn, var, name):
        s = b2.Synapses(src, tgt, on_pre=f"{var}_post += w_c",
                        delay=syn["delay_steps"] * dt * second,
                        namespace={"w_c": syn["w"] * siemens}, name=name)
        same = src is tgt
        s.connect(condition="i != j" if same and not syn["allow_self"] else None, p=syn["p"])
        return s

    S_ei = static(E, I, P["ei"], "d_ei", "S_ei")
    S_ie = static(I, E, P["ie"], "d_ie", "S_ie")
    S_ii = static(I, I, P["ii"], "d_ii", "S_ii")

    # place-field Poisson drive of the PCs (+ the uniform rate), one-to-one
    pl = P["place"]
    PE = b2.PoissonGroup(ne, rates=np.zeros(ne) * Hz, name="PE",
                         namespace=dict(bg=st["mf_rate"], peak=pl["peak"], L=pl["track"],
                                        speed=pl["speed"], sigma=pl["sigma"], n_cells=ne))
    PE.run_regularly(
        "rates = (bg + peak*exp(-(L - abs((speed*t/second) % (2*L) - L) - (i + 0.5)*L/n_cells)**2"
        "/(2*sigma**2)))*Hz",
        dt=pl["update"] * second, when="start", name="PE_rates")
    S_mf = b2.Synapses(PE, E, on_pre="d_mf_post += w_c",
                       namespace={"w_c": st["drive_weight"] * siemens}, name="S_mf")
    S_mf.connect(j="i")
    extra = [PE, S_mf]
    if bc_drive:
        if st["bc_theta"] > 0:
            rates = "bc_rate*(1 + depth*cos(2*pi*f*t/second))*Hz"
        else:
            rates = "bc_rate*Hz"
        PI = b2.PoissonGroup(ni, rates=rates, name="PI",
                             namespace=dict(bc_rate=st["bc_rate"], depth=st["bc_depth"],
                                            f=st["bc_theta"]))
        S_dr = b2.Synapses(PI, I, on_pre="d_dr_post += w_c",
                           namespace={"w_c": st["bc_weight"] * siemens}, name="S_dr")
        S_dr.connect(j="i")
        extra += [PI, S_dr]

    net = b2.Network(E, I, S_ee, S_ei, S_ie, S_ii, *extra)
    b2.device.insert_code("before_network_run", """
    struct timespec _bench_w0, _bench_c0, _bench_w1, _bench_c1;
    clock_gettime(CLOCK_MONOTONIC, &_bench_w0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &_bench_c0);""")
    b2.device.insert_code("after_network_run", """
    clock_gettime(CLOCK_MONOTONIC, &_bench_w1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &_bench_c1);
    {
        std::ofstream _bench_f("results/bench_time.txt");
        _bench_f.precision(9);
        _bench_f << (_bench_w1.tv_sec - _bench_w0.tv_sec) + 1e-9*(_bench_w1.tv_nsec - _bench_w0.tv_nsec)
                 << " " << (_bench_c1.tv_sec - _bench_c0.tv_sec) + 1e-9*(_bench_c1.tv_nsec - _bench_c0.tv_nsec)
                 << std::endl;
    }""")
    net.run(P["duration"] * second, namespace={})
    t0 = time.time()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    compile_s = time.time() - t0

    # what the run step needs: result files and the per-synapse arrays of each projection
    dev = b2.device

    def fname(var):
        return dev.get_array_filename(var)

    def per_synapse(s):
        """Dynamic arrays of the Synapses object and its pathways, each file once (i, j and
        _presynaptic_idx are aliases of _synaptic_pre/_post); the run step keeps those whose
        length is the number of synapses."""
        out, seen = [], set()
        for obj in [s] + list(s._pathways):
            for name, var in obj.variables.items():
                if isinstance(var, b2.core.variables.DynamicArrayVariable) and var.ndim == 1 \
                        and getattr(var.owner, "name", "").startswith(s.name):
                    fn = fname(var)
                    if fn not in seen:
                        seen.add(fn)
                        out.append([name, fn, int(np.dtype(var.dtype).itemsize)])
        return out

    proj = {}
    for key, s in (("ee", S_ee), ("ei", S_ei), ("ie", S_ie), ("ii", S_ii)):
        proj[key] = {"pre_file": fname(s.variables["_synaptic_pre"]),
                     "arrays": per_synapse(s), "pathways": len(s._pathways)}
        if key == "ee":
            proj[key]["w_file"] = fname(s.variables["w"])
    meta = {"params": P, "compile_s": compile_s, "nspk_e": fname(E.variables["nspk"]),
            "nspk_i": fname(I.variables["nspk"]), "proj": proj}
    with open(os.path.join(directory, "bench_meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"built {directory} in {compile_s:.1f} s")


def run(args):
    directory = os.path.abspath(args.dir)
    with open(os.path.join(directory, "bench_meta.json")) as f:
        meta = json.load(f)
    P = meta["params"]
    for name in ("bench_time.txt", "last_run_info.txt"):
        path = os.path.join(directory, "results", name)
        if os.path.exists(path):
            os.remove(path)
    t0 = time.time()
    proc = subprocess.Popen([os.path.join(directory, "main")], cwd=directory,
                            stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    process_s = time.time() - t0
    if proc.returncode != 0:
        sys.exit(f"brian2_ca3.py: {directory}/main exited with {proc.returncode}")
    with open(os.path.join(directory, "results", "bench_time.txt")) as f:
        wall, cpu = (float(x) for x in f.read().split())
    with open(os.path.join(directory, "results", "last_run_info.txt")) as f:
        brian_run_s = float(f.read().split()[0])

    def arr(rel, dtype):
        return np.fromfile(os.path.join(directory, rel), dtype=dtype)

    T = round(P["duration"] / P["dt"]) * P["dt"]
    ne, ni = P["n_e"], P["n_i"]
    nspk_e = arr(meta["nspk_e"], np.int32).astype(np.int64)
    nspk_i = arr(meta["nspk_i"], np.int32).astype(np.int64)
    n_syn, events, bytes_ps = {}, 0.0, {}
    for key, pj in meta["proj"].items():
        pre = arr(pj["pre_file"], np.int32)
        n = len(pre)
        n_syn[key] = n
        src = nspk_e if key in ("ee", "ei") else nspk_i
        outdeg = np.bincount(pre, minlength=len(src))
        events += float(np.dot(src, outdeg))
        # per-synapse arrays (their size in results/ is n x itemsize) + 4 bytes per synapse and
        # pathway in the spike queue (CSpikeQueue::synapses, a vector<int32> per source cell)
        b = 0
        for _, rel, size in pj["arrays"]:
            if os.path.getsize(os.path.join(directory, rel)) == n * size:
                b += size
        bytes_ps[key] = b + 4 * pj["pathways"]
    n_tot = sum(n_syn.values())
    n_static = n_syn["ei"] + n_syn["ie"] + n_syn["ii"]
    b_static = sum(bytes_ps[k] * n_syn[k] for k in ("ei", "ie", "ii")) / n_static
    b_all = sum(bytes_ps[k] * n_syn[k] for k in n_syn) / n_tot
    out = [("net", P["net"]), ("stdp", P["stdp"]), ("threads", 1), ("sim_s", f"{T:.6g}"),
           ("wall_s", f"{wall:.4f}"), ("cpu_s", f"{cpu:.4f}"), ("brian_run_s", f"{brian_run_s:.4f}"),
           ("process_s", f"{process_s:.2f}"), ("rtf", f"{wall / T:.4f}"),
           ("rtf_cpu", f"{cpu / T:.4f}"),
           ("rate_e_hz", f"{nspk_e.sum() / (ne * T):.4f}"),
           ("rate_i_hz", f"{nspk_i.sum() / (ni * T):.4f}"),
           ("spikes_e", int(nspk_e.sum())), ("spikes_i", int(nspk_i.sum())),
           ("n_syn", n_tot)] + [(f"n_syn_{k}", n_syn[k]) for k in ("ee", "ei", "ie", "ii")] + [
           ("events", f"{events:.0f}"), ("events_per_s", f"{events / wall:.4g}"),
           ("events_per_sim_s", f"{events / T:.4g}"),
           ("bytes_per_syn_ee", f"{bytes_ps['ee']:.2f}"),
           ("bytes_per_syn_static", f"{b_static:.2f}"), ("bytes_per_syn_all", f"{b_all:.2f}"),
           ("max_rss_mb", f"{ru.ru_maxrss / 1024.0:.1f}")]
    if "w_file" in meta["proj"]["ee"]:
        w = arr(meta["proj"]["ee"]["w_file"], np.float64)
        out.append(("mean_w_ee_nS", f"{1e9 * w.mean():.5f}"))
    for k, v in out:
        print(k, v)


def main():
    ap = argparse.ArgumentParser(
        description="ammon's CA3 network in Brian2 (cpp_standalone, one thread): build once, "
                    "then run the compiled executable (bench/ca3_vs_brian2.py drives both)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build and compile the network of a parameter file")
    b.add_argument("--params", required=True,
                   help="JSON from 'ca3_bench --dump-params' (network, duration, input)")
    b.add_argument("--dir", required=True, help="project directory to write")
    r = sub.add_parser("run", help="run a built project once and print 'key value' lines")
    r.add_argument("--dir", required=True, help="directory given to build")
    args = ap.parse_args()
    build(args) if args.cmd == "build" else run(args)


if __name__ == "__main__":
    main()
