"""Helpers shared by test_sweep.py and test_sweep_mpi.py."""
import os
import subprocess

import h5py
import numpy as np

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]
HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = os.path.join(HERE, "small.ini")


def ammon(args, cwd=None, timeout=240, prefix=(), env=None):
    return subprocess.run(list(prefix) + [AMMON] + list(args), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def datasets(path, skip=("provenance",)):
    """Every dataset of an HDF5 file by name, except those under the groups in skip."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.split("/")[0] not in skip:
                out[name] = obj[()]
        f.visititems(visit)
    return out


def equal_values(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def assert_same_datasets(test, pa, pb, skip=("provenance",)):
    da, db = datasets(pa, skip), datasets(pb, skip)
    test.assertEqual(sorted(da), sorted(db), f"{pa} vs {pb}")
    for k in da:
        test.assertTrue(equal_values(da[k], db[k]), f"{k}: {pa} vs {pb}")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()
