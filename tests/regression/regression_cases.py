"""The reference runs of the regression baseline, and how to flatten a result into arrays.

A regression baseline records what the model computed at one commit, so that a refactor can
show it changed nothing: every value must agree to ``RTOL`` (1e-12 relative). It is NOT a
check of correctness (the verification and validation tests do that); it only makes a change
of results visible. A physics change updates the baseline in a commit of its own that says
what moved and why:

    python tests/regression/record.py            # all cases (3D ones take a few minutes)
    python tests/regression/record.py rusal-3kA/lumped   # one case

Cases: rusal-3kA and rusal-500A at each model level for 10 days, and the full default run
(``cellsim run rusal-3kA``: axisymmetric level, until a stop criterion).
"""

from __future__ import annotations

import numpy as np

from cellsim.campaign import run_campaign
from cellsim.config import load_config

RTOL = 1e-12
LEVELS = ("lumped", "axisymmetric", "3d")
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    f"{cell}/{level}": (cell, (f"numerics.model={level}", 'schedule.duration="10 d"'))
    for cell in ("rusal-3kA", "rusal-500A") for level in LEVELS
}
CASES["rusal-3kA/default"] = ("rusal-3kA", ())


def run_case(name: str):
    cell, overrides = CASES[name]
    return run_campaign(load_config(cell, overrides))


def flatten(result) -> dict[str, np.ndarray]:
    """Every number of a result as named float arrays (summary, series, taps, ledgers)."""
    out: dict[str, np.ndarray] = {}
    for key, value in result.summary.items():
        out[f"summary/{key}"] = np.asarray(value, dtype=float)
    for key, value in result.series.items():
        out[f"series/{key}"] = np.asarray(value, dtype=float)
    for key, value in result.ledger.items():
        out[f"ledger/{key}"] = np.asarray(value, dtype=float)
    out["mass_balance"] = np.asarray(result.mass_balance, dtype=float)
    if result.taps:
        out["taps/time"] = np.array([t.time for t in result.taps])
        out["taps/mass"] = np.array([t.mass for t in result.taps])
        out["taps/composition"] = np.array([t.composition for t in result.taps])
    return out


def stop_reason(result) -> str:
    return result.stop_reason
