"""`ammon sweep` on this machine: a pool of worker processes (the command line,
src/app/cmd_sweep.c; the provenance command line, src/app/am_cli.c).

- the same sweep with -j1 and -j2 gives byte-identical summary.csv and identical /runs in
  summary.h5 (the provenance, which holds wall times and workers, is the only difference);
- a run of the sweep equals `ammon run` + `ammon analyze` with the command lines stored in its
  files' provenance;
- a run that fails (run.max_duration_s too short for its protocol) is reported with file:line and
  the others complete; the exit status is 1; rerunning reruns only the failed runs;
- a sweep killed (SIGKILL, every process) after its first runs resumes: finished runs are not
  rewritten (same inode and mtime), the summary equals the uninterrupted sweep's; a second sweep
  on the same folder while one runs is refused; a worker process that crashes fails its run only;
- bad sweep files give one line naming file:line and nothing is written; --help, --dry-run;
- notebooks/sweep.ipynb runs on the summary and computes what this test computes.
Run by ctest with AMMON=<binary> and AMMON_SOURCE=<source folder>.
"""
import csv
import io
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import h5py
import numpy as np

from sweep_util import AMMON, SMALL, SRC, ammon, assert_same_datasets, read_bytes


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read_text(path):
    with open(path) as f:
        return f.read()


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Sweep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.d = cls.tmp.name
        t0 = time.time()
        cls.r1 = ammon(["sweep", SMALL, "-o", "j1", "-j1"], cwd=cls.d)
        cls.t1 = time.time() - t0
        t0 = time.time()
        cls.r2 = ammon(["sweep", SMALL, "-o", "j2", "-j2"], cwd=cls.d)
        cls.t2 = time.time() - t0
        print(f"6 runs: -j1 {cls.t1:.2f} s, -j2 {cls.t2:.2f} s (wall, including start-up)")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, *p):
        return os.path.join(self.d, *p)

    def test_summary_identical_j1_j2(self):
        for r in (self.r1, self.r2):
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("6 runs, 6 complete (0 reused), 0 failed", r.stdout)
            self.assertIn("runs complete", r.stderr)  # progress line
        self.assertEqual(read_bytes(self.path("j1", "summary.csv")),
                         read_bytes(self.path("j2", "summary.csv")))
        assert_same_datasets(self, self.path("j1", "summary.h5"), self.path("j2", "summary.h5"))
        with h5py.File(self.path("j2", "summary.h5"), "r") as f:
            self.assertEqual(f["provenance/mode"][()].decode(), "local, 2 worker processes")
            self.assertEqual(sorted(set(f["provenance/run_worker"][()])), [0, 1])
            self.assertIn("[grid]", f["provenance/sweep_text"][()].decode())

    def test_summary_content(self):
        rows = read_csv(self.path("j1", "summary.csv"))
        self.assertEqual(len(rows), 6)
        self.assertEqual([r["seed"] for r in rows], ["1", "2", "3"] * 2)
        self.assertEqual([r["cells.field_width_cm"] for r in rows], ["20"] * 3 + ["40"] * 3)
        self.assertEqual([r["name"] for r in rows], [f"{i:04d}" for i in range(6)])
        self.assertTrue(all(r["status"] == "ok" and r["message"] == "" for r in rows))
        with h5py.File(self.path("j1", "summary.h5"), "r") as f:
            obs = [o.decode() for o in f["sweep/observables"][()]]
            self.assertEqual(list(rows[0].keys()),
                             ["run", "name", "status", "seed", "cells.field_width_cm"] + obs +
                             ["message"])
            self.assertEqual(list(f["runs/seed"][()]), [1, 2, 3] * 2)
            self.assertEqual(list(f["runs/params/cells.field_width_cm"][()]), [20.0] * 3 + [40.0] * 3)
            for o in obs:
                col = f["runs/" + o][()]
                for i, r in enumerate(rows):
                    v = float(r[o])
                    self.assertTrue(v == col[i] or (math.isnan(v) and math.isnan(col[i])), o)
        # observables agree with the run's own files
        for i, r in enumerate(rows):
            with h5py.File(self.path("j1", "runs", f"{i:04d}.h5"), "r") as s, \
                    h5py.File(self.path("j1", "runs", f"{i:04d}_analysis.h5"), "r") as a:
                self.assertEqual(float(r["laps"]), s["summary"].attrs["laps"])
                self.assertEqual(float(r["laps"]), 4)
                self.assertEqual(float(r["n_significant"]), a["summary"].attrs["n_significant"])
                ek, sig = a["events/epoch_kind"][()], a["events/significant"][()]
                self.assertEqual(float(r["candidates_rest"]), np.sum(ek == 1))
                self.assertEqual(float(r["significant_rest"]), np.sum((ek == 1) & (sig == 1)))
                self.assertAlmostEqual(float(r["rest_s"]), 20.0, places=9)
                self.assertAlmostEqual(float(r["event_rate_rest_hz"]), np.sum(ek == 1) / 20.0)
                nf, fs = a["fields/n_fields"][()], a["fields/field_size"][()]
                self.assertEqual(float(r["n_with_field"]), np.sum((nf >= 1).any(axis=0)))
                self.assertEqual(float(r["field_size_median_m"]), np.median(fs[nf >= 1]))
                self.assertTrue(math.isnan(float(r["net_e_rate_hz"])))
        # wider fields, more spikes, seed by seed: each run got its value
        for a, b in zip(rows[:3], rows[3:]):
            self.assertGreater(float(b["spikes"]), float(a["spikes"]))

    def test_run_equals_ammon_run_and_analyze(self):
        with h5py.File(self.path("j1", "runs", "0004.h5"), "r") as f:
            run_cmd = shlex.split(f["provenance/command_line"][()].decode())
        with h5py.File(self.path("j1", "runs", "0004_analysis.h5"), "r") as f:
            an_cmd = shlex.split(f["provenance/command_line"][()].decode())
        self.assertEqual(run_cmd[:2], ["ammon", "run"])
        self.assertIn("--seed", run_cmd)
        self.assertEqual(run_cmd[run_cmd.index("--seed") + 1], "2")
        self.assertIn("cells.field_width_cm=40", run_cmd)
        self.assertEqual(an_cmd[:2], ["ammon", "analyze"])

        def redirect(cmd, out):
            cmd = list(cmd)
            cmd[cmd.index("-o") + 1] = out
            return cmd[1:]

        r = ammon(redirect(run_cmd, "again.h5") + ["--quiet"], cwd=self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_datasets(self, self.path("j1", "runs", "0004.h5"), self.path("again.h5"))
        r = ammon(redirect(an_cmd, "again_an.h5") + ["--quiet"], cwd=self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_datasets(self, self.path("j1", "runs", "0004_analysis.h5"),
                             self.path("again_an.h5"))

    def test_failed_run_reported_others_complete(self):
        d = self.path("fail")
        os.mkdir(d)
        text = read_text(SMALL).split("[grid]")[0]
        text = text.replace("config = ../../data/configs/",
                            "config = " + os.path.join(SRC, "data", "configs") + "/")
        text += ("[list]\nkeys = cells.field_width_cm, run.max_duration_s\n"
                 "run = 30, 36000\nrun = 30, 5\n")
        write(os.path.join(d, "f.ini"), text)
        r = ammon(["sweep", "f.ini", "-j2", "-o", "out"], cwd=d)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("3 failed", r.stdout)
        fails = [l for l in r.stderr.splitlines() if "failed:" in l]
        self.assertEqual(len(fails), 3, r.stderr)
        self.assertIn("f.ini:19: key run.max_duration_s: the protocol has not ended after 5 s",
                      fails[0])
        rows = read_csv(os.path.join(d, "out", "summary.csv"))
        self.assertEqual([x["status"] for x in rows], ["ok"] * 3 + ["failed"] * 3)
        for x in rows[3:]:
            self.assertIn("run.max_duration_s", x["message"])
            self.assertEqual(x["n_units"], "")
        for x in rows[:3]:
            self.assertEqual(float(x["laps"]), 4)
        runs = os.path.join(d, "out", "runs")
        self.assertEqual(sorted(os.listdir(runs)),
                         sorted(f"{i:04d}{s}" for i in range(3) for s in (".h5", "_analysis.h5")))
        with h5py.File(os.path.join(d, "out", "summary.h5"), "r") as f:
            st = [s.decode() for s in f["runs/status"][()]]
            self.assertEqual(st, ["ok"] * 3 + ["failed"] * 3)
            self.assertTrue(np.all(np.isnan(f["runs/n_units"][3:])))
        # rerun: the complete runs are kept, only the failed ones run again (and fail again)
        before = {n: os.stat(os.path.join(runs, n)).st_mtime_ns for n in os.listdir(runs)}
        r = ammon(["sweep", "f.ini", "-j2", "-o", "out"], cwd=d)
        self.assertEqual(r.returncode, 1)
        self.assertIn("3 complete (3 reused), 3 failed", r.stdout)
        after = {n: os.stat(os.path.join(runs, n)).st_mtime_ns for n in os.listdir(runs)}
        self.assertEqual(before, after)

    def test_kill_and_resume(self):
        out = self.path("killed")
        p = subprocess.Popen([AMMON, "sweep", SMALL, "-o", out, "-j1", "-q"], cwd=self.d,
                             start_new_session=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        runs = os.path.join(out, "runs")
        deadline = time.time() + 120
        done = []
        while time.time() < deadline:
            done = sorted(f for f in os.listdir(runs) if f.endswith("_analysis.h5")) \
                if os.path.isdir(runs) else []
            if len(done) >= 2:
                break
            time.sleep(0.003)
        # a second sweep on the same folder is refused while the first holds it
        r = ammon(["sweep", SMALL, "-o", out, "-j1"], cwd=self.d)
        still_running = p.poll() is None
        os.killpg(p.pid, signal.SIGKILL)  # the whole sweep: coordinator and workers
        p.wait()
        p.stdout.close()
        p.stderr.close()
        self.assertGreaterEqual(len(done), 2)
        complete = sorted(f for f in os.listdir(runs) if f.endswith("_analysis.h5"))
        self.assertLess(len(complete), 6, "the sweep ended before it was killed: not a test")
        if still_running:
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("another ammon sweep", r.stderr)
        kept = {}
        for f in os.listdir(runs):
            if ".tmp-" in f:
                continue
            st = os.stat(os.path.join(runs, f))
            kept[f] = (st.st_ino, st.st_mtime_ns)
        self.assertFalse(os.path.exists(os.path.join(out, "summary.csv")))
        r = ammon(["sweep", SMALL, "-o", out, "-j2"], cwd=self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"({len(complete)} reused)", r.stdout)
        for f, (ino, mt) in kept.items():
            st = os.stat(os.path.join(runs, f))
            self.assertEqual((st.st_ino, st.st_mtime_ns), (ino, mt), f)
        self.assertEqual([f for f in os.listdir(runs) if ".tmp-" in f], [])
        self.assertEqual(len(os.listdir(runs)), 12)
        self.assertEqual(read_bytes(os.path.join(out, "summary.csv")),
                         read_bytes(self.path("j1", "summary.csv")))
        assert_same_datasets(self, os.path.join(out, "summary.h5"),
                             self.path("j1", "summary.h5"))
        with h5py.File(os.path.join(out, "summary.h5"), "r") as f:
            self.assertEqual(int(f["provenance/runs_reused"][()]), len(complete))
            rw = f["provenance/run_worker"][()]
            self.assertEqual(int(np.sum(rw == -1)), len(complete))
        # nothing left: a third call only rewrites the summary
        r = ammon(["sweep", SMALL, "-o", out], cwd=self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("6 complete (6 reused)", r.stdout)

    def test_worker_crash_fails_its_run_only(self):
        out = self.path("crash")
        p = subprocess.Popen([AMMON, "sweep", SMALL, "-o", out, "-j2", "-q"], cwd=self.d,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        runs = os.path.join(out, "runs")
        children = []
        deadline = time.time() + 120
        while time.time() < deadline and p.poll() is None:
            try:
                with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                    children = [int(c) for c in f.read().split()]
            except OSError:
                children = []
            busy = os.path.isdir(runs) and any(".tmp-" in f for f in os.listdir(runs))
            if children and busy:
                break
            time.sleep(0.002)
        self.assertTrue(children, "no worker process seen")
        complete = [f for f in os.listdir(runs) if f.endswith("_analysis.h5")]
        self.assertLessEqual(len(complete), 3, "too late to test")
        os.kill(children[0], signal.SIGKILL)  # as if the run had crashed (or the OOM killer)
        stdout, stderr = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 1, stderr)
        rows = read_csv(os.path.join(out, "summary.csv"))
        failed = [r for r in rows if r["status"] == "failed"]
        self.assertEqual(len(failed), 1, stderr)
        self.assertIn("its worker process died (signal 9", failed[0]["message"])
        self.assertIn("failed: its worker process died", stderr)
        self.assertEqual(sum(r["status"] == "ok" for r in rows), 5)
        # the crashed run is rerun by the next call, and the summary is the sweep's
        r = ammon(["sweep", SMALL, "-o", out, "-q"], cwd=self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(read_bytes(os.path.join(out, "summary.csv")),
                         read_bytes(self.path("j1", "summary.csv")))

    def test_other_sweep_refused_in_folder(self):
        out = self.path("j1")
        before = read_bytes(os.path.join(out, "manifest.tsv"))
        other = self.path("other.ini")
        write(other, read_text(SMALL).replace("seeds = 1-3", "seeds = 1-4").replace(
            "../../data", os.path.join(SRC, "data")))
        r = ammon(["sweep", other, "-o", out], cwd=self.d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("holds another sweep", r.stderr)
        self.assertEqual(read_bytes(os.path.join(out, "manifest.tsv")), before)
        self.assertTrue(os.path.exists(os.path.join(out, "summary.csv")))

    def test_dry_run(self):
        r = ammon(["sweep", SMALL, "-o", self.path("j1"), "--dry-run"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("6 runs", r.stdout)
        self.assertIn("(6 complete, 0 to analyse, 0 to run)", r.stdout)
        r = ammon(["sweep", SMALL, "-o", self.path("nothing_here"), "-n"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0003\t1\t40\tto run", r.stdout)
        self.assertFalse(os.path.exists(self.path("nothing_here")))

    def test_notebook(self):
        nb = json.loads(read_text(os.path.join(SRC, "notebooks", "sweep.ipynb")))
        cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        env = {"AMMON_SWEEP_SUMMARY": self.path("j1", "summary.h5"),
               "AMMON_SWEEP_OBSERVABLE": "field_size_median_m",
               "AMMON_SWEEP_FIGURE": self.path("fig.png")}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        os.environ["MPLBACKEND"] = "Agg"
        ns = {}
        try:
            for c in cells:
                if "matplotlib" in c:
                    try:
                        import matplotlib  # noqa: F401
                    except ImportError:
                        print("python3-matplotlib missing: the plotting cell was not run")
                        continue
                exec(compile(c, "sweep.ipynb", "exec"), ns)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.assertEqual(ns["PARAM"], "cells.field_width_cm")
        rows = read_csv(self.path("j1", "summary.csv"))
        for x, mean, sem, n in zip(*[ns["table"][k] for k in ("x", "mean", "sem", "n")]):
            v = [float(r["field_size_median_m"]) for r in rows
                 if float(r["cells.field_width_cm"]) == x]
            self.assertEqual(n, 3)
            self.assertAlmostEqual(mean, np.mean(v), places=12)
            self.assertAlmostEqual(sem, np.std(v, ddof=1) / np.sqrt(3), places=12)
        self.assertEqual(list(ns["table"]["x"]), [20.0, 40.0])
        if "plt" in ns:
            self.assertGreater(os.path.getsize(self.path("fig.png")), 1000)


class Examples(unittest.TestCase):
    """The sweep file of docs/sweep.md and those in data/configs/sweeps/ are valid."""

    def test_docs_example(self):
        page = read_text(os.path.join(SRC, "docs", "sweep.md"))
        block = page.split("```ini\n", 1)[1].split("```", 1)[0]
        with tempfile.TemporaryDirectory() as d:
            write(os.path.join(d, "doc.ini"), block.replace(
                "../linear_track.ini", os.path.join(SRC, "data", "configs", "linear_track.ini")))
            r = ammon(["sweep", "doc.ini", "--dry-run"], cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("120 runs into place_fields", r.stdout)
            self.assertEqual(sorted(os.listdir(d)), ["doc.ini"])

    def test_example_files(self):
        folder = os.path.join(SRC, "data", "configs", "sweeps")
        files = sorted(f for f in os.listdir(folder) if f.endswith(".ini"))
        self.assertGreaterEqual(len(files), 2)
        with tempfile.TemporaryDirectory() as d:
            for f in files:
                r = ammon(["sweep", os.path.join(folder, f), "-n", "-o", os.path.join(d, "o")])
                self.assertEqual(r.returncode, 0, f + ": " + r.stderr)
                self.assertRegex(r.stdout, r"\d+ runs into")


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_help_and_usage(self):
        r = ammon(["sweep", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: ammon sweep SWEEP.ini", r.stdout)
        self.assertIn("mpirun", r.stdout)
        r = ammon(["--help"])
        self.assertIn("sweep SWEEP.ini", r.stdout)
        for args, needle in ((["sweep"], "no sweep file"),
                             (["sweep", SMALL, "-j", "0"], "-j 0: allowed 1 to 4096"),
                             (["sweep", SMALL, "--fast"], "unknown option '--fast'"),
                             (["sweep", SMALL, "-o"], "option -o needs a value")):
            r = ammon(args, cwd=self.d)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr)
        self.assertEqual(os.listdir(self.d), [])

    def test_bad_files_write_nothing(self):
        base = os.path.join(SRC, "data", "configs", "linear_track.ini")
        cases = [
            ("[sweep]\nconfig = %s\nseeds = 1-2\n[grid]\ncells.n = 10, 2000000\n" % base,
             "bad.ini:5: cells.n = 2000000 is out of range; allowed: 1 to 1000000"),
            ("[sweep]\nconfig = %s\nseeds = 1-2\n[grid]\ncels.n = 10\n" % base,
             "bad.ini:5: unknown section [cels]; did you mean [cells]?"),
            ("[sweep]\nconfig = %s\nseeds = 1-2\nout = o\n[grid]\nmaze.type = linear, ring\n"
             % base, "bad.ini:6: maze.type = 'ring' is not one of the choices; allowed: linear,"),
            ("[sweep]\nconfig = %s\nseeds = 2-1\n" % base, "bad.ini:3: seeds = 2-1"),
            ("[sweep]\nconfig = %s\nseeds = 1\nbogus = 1\n" % base,
             "bad.ini:4: unknown key 'bogus' in [sweep]; allowed keys: config, seeds"),
            ("[sweep]\nconfig = %s\nseeds = 1\n[set]\nprotocol.epochs = run 2 lops\n" % base,
             "bad.ini:5: protocol.epochs = 'run 2 lops'"),
        ]
        for text, needle in cases:
            write(os.path.join(self.d, "bad.ini"), text)
            r = ammon(["sweep", "bad.ini"], cwd=self.d)
            self.assertEqual(r.returncode, 1, text)
            lines = [l for l in r.stderr.splitlines() if l.strip()]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn(needle, lines[0])
            self.assertEqual(sorted(os.listdir(self.d)), ["bad.ini"], text)

    def test_init_from_missing(self):
        r = ammon(["sweep", SMALL, "--init-from", os.path.join(self.d, "nope.h5"), "-o",
                   os.path.join(self.d, "o")])
        self.assertEqual(r.returncode, 1)
        self.assertIn("--init-from", r.stderr)
        self.assertIn("nope.h5", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.d, "o")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
