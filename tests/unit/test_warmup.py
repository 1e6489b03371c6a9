"""cellsim.warmup: compiling the kernels ahead (issue 17, first run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cellsim.kernel_signatures import SIGNATURES
from cellsim.warmup import LEVELS, _types, dispatchers


def _python(code: str, cache) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "NUMBA_NUM_THREADS": "1"}
    # -P: the child imports the installed cellsim, not the source tree of the working folder
    # (.ci/run installs non-editable; cellsim.kernels exists only in the installed package)
    return subprocess.run([sys.executable, "-P", "-c", code], env=env, check=True,
                          capture_output=True, text=True).stdout


def test_every_recorded_kernel_and_type_resolves():
    """The record names kernels that exist, with argument types Numba can rebuild."""
    ds = dispatchers()
    assert set(SIGNATURES) == set(LEVELS)
    for level, kernels in SIGNATURES.items():
        assert kernels, level
        for key, sigs in kernels.items():
            assert key in ds, f"{level}: {key} is no kernel of cellsim.kernels (re-record)"
            for s in sigs:
                assert len(_types(s)) == len(s)


@pytest.mark.parametrize("level", ["lumped", "axisymmetric"])
def test_record_is_what_a_run_calls(level, tmp_path):
    """A 2-hour run of the level in a fresh process calls exactly the recorded kernels with
    the recorded types (else: `python -m cellsim.warmup --record > cellsim/kernel_signatures.py`)."""
    out = _python(f"import json; from cellsim.warmup import _record_level; "
                  f"print(json.dumps(_record_level({level!r})['signatures']))", tmp_path)
    used = {k: [tuple(s) for s in v] for k, v in json.loads(out.strip().splitlines()[-1]).items()}
    assert used == SIGNATURES[level]


def test_warmup_fills_an_empty_cache(tmp_path):
    """With an empty cache the lumped level's kernel is missing; `cellsim warmup --level
    lumped` compiles it (saying so) and then nothing is missing."""
    check = "from cellsim.warmup import missing; print(len(missing(('lumped',))))"
    assert int(_python(check, tmp_path).split()[-1]) == len(SIGNATURES["lumped"]) > 0
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-P", "-m", "cellsim.cli", "warmup", "--level", "lumped", "-j", "1"],
                          env=env, check=True, capture_output=True, text=True)
    assert f"compiling {len(SIGNATURES['lumped'])} Numba kernels of the lumped level" in done.stderr
    assert int(_python(check, tmp_path).split()[-1]) == 0
    again = subprocess.run([sys.executable, "-P", "-m", "cellsim.cli", "warmup", "--level", "lumped"],
                           env=env, check=True, capture_output=True, text=True)
    assert "compiled and cached" in again.stdout


def test_tasks_compile_a_callee_only_with_its_callers(monkeypatch):
    """A kernel that only other kernels call is compiled inside its caller's task (its time
    added to the caller's), not in a task of its own, unless no caller is to be compiled;
    a kernel Python calls is always a task; tasks come longest first."""
    import cellsim.kernel_signatures as ks
    from cellsim.warmup import tasks

    monkeypatch.setattr(ks, "SECONDS", {"m:a": 2.0, "m:b": 3.0, "m:c": 1.5, "m:d": 4.0, "m:e": 0.5})
    # a (Python) -> b -> c; d (Python) -> c; e called from Python and from d
    monkeypatch.setattr(ks, "CALLERS", {"m:a": [""], "m:b": ["m:a"], "m:c": ["m:b", "m:d"],
                                        "m:d": [""], "m:e": ["", "m:d"]}, raising=False)
    every = ["m:a", "m:b", "m:c", "m:d", "m:e"]
    got = dict(tasks(every))
    assert set(got) == {"m:a", "m:d", "m:e"}  # b and c ride with their callers
    assert got["m:a"] == pytest.approx(2.0 + 3.0 + 1.5)
    assert got["m:d"] == pytest.approx(4.0 + 1.5)  # c counted with each caller; e is its own task
    assert [k for k, _ in tasks(every)] == ["m:a", "m:d", "m:e"]
    # a cached (not to be compiled): b becomes a task of its own and takes c along
    got = dict(tasks(["m:b", "m:c"]))
    assert got == {"m:b": pytest.approx(4.5)}
    # a kernel unknown to the record is a task of its own (1 s assumed when not timed)
    assert dict(tasks(["m:z"])) == {"m:z": 1.0}
