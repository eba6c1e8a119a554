"""`ammon sweep` under `mpirun -np 2` gives the summary of the same sweep run locally
(src/sweep/am_sweep_mpi.c: rank 0's queue, the ranks' requests).

Runs tests/sweep/small.ini with a local pool of 2 workers and with 2 MPI ranks (rank 0 hands out
the runs and runs some itself, rank 1 asks for runs): summary.csv byte for byte, every dataset of
summary.h5 but /provenance, and every run's session and analysis data (provenance aside) are
identical, and both ranks ran runs. Usage: test_sweep_mpi.py MPIEXEC (with AMMON, AMMON_SOURCE).
"""
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

from sweep_util import SMALL, ammon, assert_same_datasets, read_bytes

MPIEXEC = sys.argv.pop(1) if len(sys.argv) > 1 else "mpirun"


class SweepMPI(unittest.TestCase):
    def test_mpi_equals_local(self):
        with tempfile.TemporaryDirectory() as d:
            loc = ammon(["sweep", SMALL, "-o", "local", "-j2", "-q"], cwd=d)
            self.assertEqual(loc.returncode, 0, loc.stderr)
            # as root in CI: --allow-run-as-root; 2 ranks on a machine that may have fewer free
            # cores: --oversubscribe
            env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
            mpi = ammon(["sweep", SMALL, "-o", "mpi", "-q"], cwd=d, env=env,
                        prefix=[MPIEXEC, "-np", "2", "--allow-run-as-root", "--oversubscribe"])
            self.assertEqual(mpi.returncode, 0, mpi.stdout + mpi.stderr)
            a, b = os.path.join(d, "local"), os.path.join(d, "mpi")
            self.assertEqual(read_bytes(os.path.join(a, "summary.csv")),
                             read_bytes(os.path.join(b, "summary.csv")))
            assert_same_datasets(self, os.path.join(a, "summary.h5"), os.path.join(b, "summary.h5"))
            self.assertEqual(read_bytes(os.path.join(a, "manifest.tsv")),
                             read_bytes(os.path.join(b, "manifest.tsv")))
            runs = sorted(os.listdir(os.path.join(a, "runs")))
            self.assertEqual(runs, sorted(os.listdir(os.path.join(b, "runs"))))
            self.assertEqual(len(runs), 12)
            for f in runs:
                assert_same_datasets(self, os.path.join(a, "runs", f), os.path.join(b, "runs", f))
            with h5py.File(os.path.join(b, "summary.h5"), "r") as f:
                self.assertEqual(f["provenance/mode"][()].decode(), "mpi, 2 ranks")
                worker = f["provenance/run_worker"][()]
                self.assertEqual(sorted(set(worker)), [0, 1], worker)
                self.assertTrue(np.all(f["provenance/run_wall_s"][()] > 0))
            # a second call under MPI finds everything complete
            again = ammon(["sweep", SMALL, "-o", "mpi"], cwd=d, env=env,
                          prefix=[MPIEXEC, "-np", "2", "--allow-run-as-root", "--oversubscribe"])
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn("6 complete (6 reused)", again.stdout)
            self.assertEqual(read_bytes(os.path.join(a, "summary.csv")),
                             read_bytes(os.path.join(b, "summary.csv")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
