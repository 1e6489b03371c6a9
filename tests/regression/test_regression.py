"""Regression baseline: the reference runs reproduce the recorded results to 1e-12.

See regression_cases.py for what this guards and how to re-record after a deliberate
physics change.
Each array is compared element by element with a tolerance of RTOL times the largest
magnitude of its column (so a composition column of ppm-level impurities is held to 1e-12 of
its own scale, not of the Al column's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regression_cases import CASES, RTOL, flatten, run_case  # noqa: E402

from cellsim.io import current_name  # noqa: E402

DATA = Path(__file__).resolve().parent / "baseline"
FAST = [n for n in CASES if not n.endswith("/3d")]
SLOW_3D = [n for n in CASES if n.endswith("/3d")]


def _column_scale(a: np.ndarray) -> np.ndarray:
    if a.ndim < 2:
        return np.nanmax(np.abs(a)) if a.size else np.float64(0.0)
    return np.nanmax(np.abs(a), axis=tuple(range(a.ndim - 1)))


def _current(key: str) -> str:
    group, _, name = key.rpartition("/")
    return f"{group}/{current_name(name)}" if group else key


def compare(name: str) -> list[str]:
    base = np.load(DATA / (name.replace("/", "__") + ".npz"))
    result = run_case(name)
    now = flatten(result)
    problems = []
    if str(base["meta/stop_reason"]) != result.stop_reason:
        problems.append(f"stop reason: {result.stop_reason!r} != {str(base['meta/stop_reason'])!r}")
    # The baseline's names as today's (outputs renamed since it was recorded, cellsim.io.RENAMED:
    # one name for the electrolyte); the values are compared under the new name.
    stored = {_current(k): k for k in base.files if not k.startswith("meta/")}
    keys = set(stored)
    # A value the baseline has and the run lacks is a change; a new output is not (it has
    # nothing to be compared with until the baseline is re-recorded).
    for k in sorted(keys - set(now)):
        problems.append(f"{k}: missing now")
    for k in sorted(keys & set(now)):
        b, a = base[stored[k]], now[k]
        if a.shape != b.shape:
            problems.append(f"{k}: shape {a.shape} != {b.shape}")
            continue
        same_nan = np.isnan(a) == np.isnan(b)
        tol = RTOL * _column_scale(b) + 1e-300
        bad = ~same_nan | (np.abs(np.nan_to_num(a - b)) > tol)
        if np.any(bad):
            rel = np.nanmax(np.abs(a - b) / np.maximum(_column_scale(b), 1e-300))
            problems.append(f"{k}: {int(bad.sum())} of {a.size} values differ (max rel {rel:.3g})")
    return problems


@pytest.mark.parametrize("name", FAST)
def test_reference_run_reproduces_baseline(name):
    problems = compare(name)
    assert not problems, f"{name}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("name", SLOW_3D)
def test_reference_run_reproduces_baseline_3d(name):
    problems = compare(name)
    assert not problems, f"{name}:\n" + "\n".join(problems[:40])
