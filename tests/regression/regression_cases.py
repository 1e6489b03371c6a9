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
# Another machine (another CPU, or other numpy/scipy/numba/llvmlite versions) compiles and sums
# in another order: the same code moves by round-off, which the solvers' tolerances and the
# Newton iterations carry up to ~1e-9 of a column's scale (measured 2026-11-29 between the
# baseline of an AVX2 machine and a znver5 (AVX-512) one: at most 1.2e-9, the 3D lid loss;
# 4e-10 at r-z; and 5e-10 on the znver5 with NUMBA_CPU_NAME=generic, no vector extensions). There the baseline is held to CROSS_RTOL, which still shows any physics change
# (a 1e-7 move of kWh/t is under 1 Wh/t), and the test says which comparison it made; the 1e-12
# refactor check needs a baseline recorded on the machine itself (record.py, as above).
CROSS_RTOL = 1e-7
# The element totals' final minus initial (mass_balance) are round-off, not results: on another
# machine each must stay a round-off of a tonne-sized inventory, |residual| <= CROSS_MASS_ATOL.
CROSS_MASS_ATOL = 1e-9  # kg
LEVELS = ("lumped", "axisymmetric", "3d")
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    f"{cell}/{level}": (cell, (f"numerics.model={level}", 'schedule.duration="10 d"'))
    for cell in ("rusal-3kA", "rusal-500A") for level in LEVELS
}
CASES["rusal-3kA/default"] = ("rusal-3kA", ())


def platform() -> dict[str, str]:
    """What decides a run's round-off: the CPU Numba compiles for (name and a digest of its
    feature flags) and the versions of the numerical libraries."""
    import hashlib

    import llvmlite
    import llvmlite.binding as ll
    import numba
    import scipy

    cpu = numba.core.config.CPU_NAME or ll.get_host_cpu_name()
    features = numba.core.config.CPU_FEATURES or ll.get_host_cpu_features().flatten()
    return {"cpu": cpu, "cpu_features_sha1": hashlib.sha1(features.encode()).hexdigest()[:12],
            "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
            "llvmlite": llvmlite.__version__}


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
