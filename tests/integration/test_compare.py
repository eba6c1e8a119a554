"""`ammon compare` from the command line (src/app/cmd_compare.c): the table, --csv, --json,
--only, --strict's exit status when a simulated value leaves its window, and clear errors (file,
line, column) for bad input.

The analysis files are synthetic (written here with h5py in the layout of docs/analysis-format.md),
so the expected values are known. Run by ctest with AMMON=<path to the binary>.
"""
import json
import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]

CHECKS = ("observable,statistic,lo,hi,level,facts,note\n"
          "fraction_significant,significant over decoded,0.1,0.5,must,replay_frac_significant,x\n"
          "replay_speed_m_s,median,4,20,should,replay_speed_davidson,x\n"
          "ripple_frequency_hz,peak,140,220,must,ripple_band,x\n")


def run(args):
    return subprocess.run([AMMON, "compare"] + args, capture_output=True, text=True, timeout=60)


def analysis(path, n_sig, n_dec=20, speed=8.0):
    with h5py.File(path, "w") as f:
        f["/fields/n_fields"] = np.ones((2, 4), np.int32)
        f["/fields/field_size"] = np.full((2, 4), 0.3)
        ev = f.create_group("events")
        i = np.arange(n_dec)
        cols = dict(start=i * 1.0, stop=i + 0.1, peak_t=i + 0.05, source=np.ones(n_dec, np.int32),
                    epoch_kind=np.ones(n_dec, np.int32), n_active=np.full(n_dec, 3, np.int32),
                    decoded=np.ones(n_dec, np.int32), significant=(i < n_sig).astype(np.int32),
                    speed_m_s=np.where(i < n_sig, speed, np.nan), compression=np.full(n_dec, 10.0),
                    direction=np.where(i < n_sig, 1, 0).astype(np.int32),
                    start_pos=np.zeros(n_dec), rat_pos=np.zeros(n_dec), peak_z=np.full(n_dec, 4.0))
        for k, v in cols.items():
            ev[k] = v
        f.create_group("summary").attrs["n_units"] = 4


class Compare(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        self.checks = os.path.join(self.d, "checks.csv")
        with open(self.checks, "w") as f:
            f.write(CHECKS)
        self.good = os.path.join(self.d, "good.h5")
        self.bad = os.path.join(self.d, "bad.h5")
        analysis(self.good, n_sig=6)   # 6 / 20 = 0.3, inside [0.1, 0.5]
        analysis(self.bad, n_sig=14)   # 14 / 20 = 0.7: the value left its window

    def tearDown(self):
        self.tmp.cleanup()

    def test_help(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: ammon compare", r.stdout)
        self.assertIn("compare", subprocess.run([AMMON, "--help"], capture_output=True,
                                                text=True).stdout)

    def test_pass_then_fail_when_the_value_leaves_its_window(self):
        r = run([self.good, "--checks", self.checks, "--strict"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"fraction_significant\s+0\.3 .*must\s+pass")
        self.assertRegex(r.stdout, r"ripple_frequency_hz\s+NA .*no LFP")
        r = run([self.bad, "--checks", self.checks])
        self.assertEqual(r.returncode, 0)  # without --strict a failed check is only reported
        self.assertRegex(r.stdout, r"fraction_significant\s+0\.7 .*must\s+FAIL")
        r = run([self.bad, "--checks", self.checks, "--strict"])
        self.assertEqual(r.returncode, 3)
        # a failed should-check does not make --strict fail
        analysis(self.bad, n_sig=6, speed=30.0)
        r = run([self.bad, "--checks", self.checks, "--strict"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"replay_speed_m_s\s+30 .*should\s+FAIL")

    def test_json_csv_only_and_seeds(self):
        r = run([self.good, self.bad, "--checks", self.checks, "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        js = json.loads(r.stdout)
        row = js["rows"][0]
        self.assertAlmostEqual(row["value"], 0.5)  # mean of 0.3 and 0.7 over two seeds
        self.assertEqual(row["n"], 2)
        self.assertEqual(row["over"], "seeds")
        self.assertEqual(row["ci_method"], "t")
        # t interval: 0.5 +- t(0.975, 1) * SD / sqrt(2), SD = 0.2828
        self.assertAlmostEqual(row["ci"][1], 0.5 + 12.7062047 * 0.2828427 / 2 ** 0.5, places=4)
        self.assertIn("Davidson", row["source"])
        r = run([self.good, "--checks", self.checks, "--csv", "--only", "replay_speed_m_s"])
        lines = r.stdout.strip().split("\n")
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[1].startswith("replay_speed_m_s,median,8,"))
        r = run([self.good, "--checks", self.checks, "--only", "nope"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("'nope'", r.stderr)

    def test_errors(self):
        bad = os.path.join(self.d, "bad.csv")
        with open(bad, "w") as f:
            f.write(CHECKS + "replay_speed_m_s,median,4,x20,must,a,b\n")
        r = run([self.good, "--checks", bad])
        self.assertEqual(r.returncode, 1)
        self.assertIn("line 5, column 4 (hi)", r.stderr)
        self.assertEqual(len(r.stderr.strip().split("\n")), 1)
        r = run([os.path.join(self.d, "missing.h5"), "--checks", self.checks])
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.h5", r.stderr)
        other = os.path.join(self.d, "session.h5")
        with h5py.File(other, "w") as f:
            f["/behavior/t"] = np.zeros(3)
        r = run([other, "--checks", self.checks])
        self.assertEqual(r.returncode, 1)
        self.assertIn("not an analysis file", r.stderr)
        r = run([])
        self.assertEqual(r.returncode, 2)
        r = run([self.good, "--csv", "--json"])
        self.assertEqual(r.returncode, 2)

    def test_default_checks_table(self):
        r = run([self.good])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(SRC, "data", "reference", "checks.csv")) as f:
            n = sum(1 for _ in f) - 1
        self.assertEqual(len([l for l in r.stdout.split("\n") if l and l[0].islower()]) - 1, n)


if __name__ == "__main__":
    unittest.main()
