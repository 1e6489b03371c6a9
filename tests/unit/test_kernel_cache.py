"""kernels/_cache.py: an edit of one kernel file reaches the kernels compiled with it.

Numba's cache keys a kernel on its own file only; a kernel that calls a kernel of another file
carries that callee's old machine code after the callee's file is edited. The package drops its
cache when any of its files changed (kernels/_cache.py). Checked here on a copy of the package
with two probe files, each run in a fresh process on a private cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cellsim import kernels as _installed
from cellsim.kernels import _cache
from cellsim.kernels._cache import STAMP, drop_stale, source_hash

SRC = Path(_installed.__file__).resolve().parent  # the copy below takes its __init__ and _cache

CALLEE = "from numba import njit\n\n\n@njit(cache=True)\ndef value():\n    return {v}\n"
CALLER = ("from numba import njit\n\nfrom ._probe_callee import value\n\n\n"
          "@njit(cache=True)\ndef twice():\n    return 2.0 * value()\n")


def _run(root: Path, cache: Path) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(root),
           "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-P", "-c",
                          "import kernels._probe_caller as c; print(repr(c.twice()))"],
                         env=env, check=True, capture_output=True, text=True, cwd=root).stdout
    return float(out)


def test_an_edited_callee_reaches_its_cached_caller(tmp_path):
    pkg = tmp_path / "kernels"
    pkg.mkdir()
    for name in ("__init__.py", "_cache.py"):
        shutil.copy(SRC / name, pkg / name)
    (pkg / "_probe_caller.py").write_text(CALLER)
    (pkg / "_probe_callee.py").write_text(CALLEE.format(v="1.5"))
    cache = tmp_path / "cache"

    assert _run(tmp_path, cache) == 3.0
    assert list(cache.rglob("*.nbc")), "the caller was cached"
    assert _run(tmp_path, cache) == 3.0  # loaded from the cache: the stamp is unchanged
    (pkg / "_probe_callee.py").write_text(CALLEE.format(v="2.5"))  # only the callee's file
    assert _run(tmp_path, cache) == 5.0


def test_an_unchanged_package_keeps_its_cache(tmp_path, monkeypatch):
    """The stamp matches: nothing is removed, so a warm run stays warm."""
    pkg = tmp_path / "kernels"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    h = source_hash(pkg)
    (pkg / "a.py").write_text("x = 2\n")
    assert source_hash(pkg) != h
    (pkg / "a.py").write_text("x = 1\n")
    assert source_hash(pkg) == h

    folder = tmp_path / "numba-cache"
    folder.mkdir()
    (folder / "m.f-1.py311.nbi").write_bytes(b"index")
    monkeypatch.setattr(_cache, "cache_dir", lambda: folder)
    assert drop_stale(pkg) is True  # no stamp yet: cleared, stamp written
    assert not list(folder.glob("*.nbi"))
    assert (folder / STAMP).read_text().strip() == h
    (folder / "m.f-1.py311.nbi").write_bytes(b"index")
    (folder / "m.f-1.py311.nbc").write_bytes(b"code")
    assert drop_stale(pkg) is False
    assert (folder / "m.f-1.py311.nbi").exists() and (folder / "m.f-1.py311.nbc").exists()
    (pkg / "a.py").write_text("x = 3\n")  # an edit: both files go
    assert drop_stale(pkg) is True
    assert not list(folder.glob("*.nb?"))
