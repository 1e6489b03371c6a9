"""Regression baseline: the reference runs reproduce the recorded results to 1e-12.

See regression_cases.py for what this guards and how to re-record after a deliberate
physics change.
Each array is compared element by element with a tolerance of RTOL times the largest
magnitude of its column (so a composition column of ppm-level impurities is held to 1e-12 of
its own scale, not of the Al column's). On a machine other than the baseline's (its
``meta/platform``: CPU and library versions, regression_cases.platform) round-off differs, so
the tolerance is CROSS_RTOL and the mass-balance residuals are held to CROSS_MASS_ATOL; the
test warns that it made that comparison, and a failure names the two platforms.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regression_cases import (CASES, CROSS_MASS_ATOL, CROSS_RTOL, RTOL, flatten, platform,  # noqa: E402
                              run_case)

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


def recorded_platform(base) -> dict | None:
    """The platform a baseline was recorded on (None for a baseline older than the record)."""
    return json.loads(str(base["meta/platform"])) if "meta/platform" in base.files else None


def compare(name: str) -> list[str]:
    """The case ``name`` run now against its baseline: what differs (empty when nothing does)."""
    base = np.load(DATA / (name.replace("/", "__") + ".npz"))
    result = run_case(name)
    here, there = platform(), recorded_platform(base)
    same = here == there
    if not same:  # shown in pytest's warnings summary (the suite's filter makes warnings errors)
        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)
            warnings.warn(f"{name}: the baseline was recorded on {there or 'an unrecorded platform'}, "
                          f"this is {here}: compared at {CROSS_RTOL:g} of each column's scale, not "
                          f"{RTOL:g} (record a baseline here before a refactor: "
                          f"tests/regression/record.py)", stacklevel=2)
    problems = []
    if str(base["meta/stop_reason"]) != result.stop_reason:
        problems.append(f"stop reason: {result.stop_reason!r} != {str(base['meta/stop_reason'])!r}")
    problems += compare_arrays({k: base[k] for k in base.files}, flatten(result), same)
    if problems and not same:
        problems.insert(0, f"compared at {CROSS_RTOL:g}: recorded on {there or 'an unrecorded platform'}, "
                           f"run on {here}")
    return problems


def compare_arrays(base: dict, now: dict, same_platform: bool) -> list[str]:
    """Each baseline array against the run's: within RTOL of its column's scale on the
    baseline's own platform, CROSS_RTOL elsewhere (the mass-balance residuals there within
    CROSS_MASS_ATOL of zero)."""
    rtol = RTOL if same_platform else CROSS_RTOL
    problems = []
    # The baseline's names as today's (outputs renamed since it was recorded, cellsim.io.RENAMED:
    # one name for the electrolyte); the values are compared under the new name.
    stored = {_current(k): k for k in base if not k.startswith("meta/")}
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
        if k == "mass_balance" and not same_platform:  # round-off residuals: a bound, not a value
            bad = ~same_nan | (np.abs(np.nan_to_num(a)) > CROSS_MASS_ATOL)
            if np.any(bad):
                problems.append(f"{k}: {int(bad.sum())} of {a.size} residuals above {CROSS_MASS_ATOL:g} kg "
                                f"(largest {np.nanmax(np.abs(a)):.3g} kg)")
            continue
        tol = rtol * _column_scale(b) + 1e-300
        bad = ~same_nan | (np.abs(np.nan_to_num(a - b)) > tol)
        if np.any(bad):
            rel = np.nanmax(np.abs(a - b) / np.maximum(_column_scale(b), 1e-300))
            problems.append(f"{k}: {int(bad.sum())} of {a.size} values differ (max rel {rel:.3g})")
    return problems


def test_comparison_is_strict_on_its_platform_and_loose_only_elsewhere():
    """The tolerance the baseline is held to: 1e-12 of a column's scale on its own platform
    (a 1e-11 move fails), 1e-7 elsewhere (a 1e-9 move, the round-off of another CPU, passes; a
    1e-6 move of a physics change fails); mass-balance residuals on another platform are held
    to a round-off bound, not to the baseline's own round-off."""
    col = np.array([[8760.0, 1.2e-5], [8770.0, 3.0e-6]])
    base = {"series/x": col, "mass_balance": np.array([1e-12, -2e-15]), "meta/commit": np.array("c")}

    def moved(rel, mb=(3e-13, 4e-15)):
        return {"series/x": col * (1 + rel), "mass_balance": np.array(mb)}

    assert compare_arrays(base, moved(0.0, (1e-12, -2e-15)), True) == []
    assert any("series/x" in p for p in compare_arrays(base, moved(1e-11, (1e-12, -2e-15)), True))
    assert any("mass_balance" in p for p in compare_arrays(base, moved(0.0), True))
    assert compare_arrays(base, moved(1e-9), False) == []
    assert any("series/x: 4 of 4" in p for p in compare_arrays(base, moved(1e-6), False))
    assert any("residuals above" in p for p in compare_arrays(base, moved(0.0, (1e-6, 0.0)), False))
    # each column against its own scale: a ppm-level column's 1e-9 move of its own scale passes
    small = {"series/x": col + np.array([0.0, 1e-9 * 1.2e-5]), "mass_balance": base["mass_balance"]}
    assert compare_arrays(base, small, False) == []
    assert compare_arrays(base, {"mass_balance": base["mass_balance"]}, False) == ["series/x: missing now"]


@pytest.mark.parametrize("name", FAST)
def test_reference_run_reproduces_baseline(name):
    problems = compare(name)
    assert not problems, f"{name}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("name", SLOW_3D)
def test_reference_run_reproduces_baseline_3d(name):
    problems = compare(name)
    assert not problems, f"{name}:\n" + "\n".join(problems[:40])
