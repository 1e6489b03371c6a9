"""The multigrid V-cycle's kernels on the threads from a size of their own
(``solvers.set_max_threads(..., exact_min_cells=)``, CELLSIM_PARALLEL_EXACT_MIN_CELLS): they
write each output from its own inputs in a fixed order, so the numbers do not depend on the
thread count, bit for bit, while the PCG's sums keep one thread below PARALLEL_MIN_CELLS."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from cellsim.kernels import parallel as kernel_threads

from cellsim.config import load_config
from cellsim.fields import solvers
from cellsim.models import make_model

TWO = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs NUMBA_NUM_THREADS >= 2")


@pytest.fixture(autouse=True)
def _restore():
    yield
    solvers.set_max_threads(None)


def _layered_system(shape=(12, 11, 24), seed=3):
    """A heat-like shifted operator: conductances over four decades in z-layers (the
    pot's insulation against its metal), a positive shift, a random right-hand side."""
    rng = np.random.default_rng(seed)
    n0, n1, n2 = shape
    layer = 10.0 ** rng.integers(-2, 2, size=n2)
    g = [rng.uniform(0.5, 1.5, (n0 + (a == 0), n1 + (a == 1), n2 + (a == 2))) for a in range(3)]
    g[0] *= layer[None, None, :]
    g[1] *= layer[None, None, :]
    g[2] *= np.concatenate([layer, layer[-1:]])[None, None, :]
    for a in range(3):  # insulated sides: no face beyond the box
        idx = [slice(None)] * 3
        idx[a] = 0
        g[a][tuple(idx)] = 0.0
        idx[a] = -1
        g[a][tuple(idx)] = 0.0
    shift = rng.uniform(0.01, 0.1, shape)
    return solvers.StencilOperator(*g, shift), rng.standard_normal(shape)


def _solve(threads, exact_min_cells, calls=None):
    solvers.set_max_threads(threads, exact_min_cells=exact_min_cells)
    op, b = _layered_system()
    solver = solvers.LinearSolver(op, "multigrid", n_smooth=2)
    z = np.empty_like(b)
    if calls is not None:  # the thread count of every kernel_threads.set_threads call
        real = kernel_threads.set_threads
        kernel_threads.set_threads = lambda n: (calls.append(n), real(n))[1]
    try:
        solver.backend(b, z)  # one V-cycle
        x = solver.solve(b, x0=None, rtol=1e-10, maxiter=200)
    finally:
        if calls is not None:
            kernel_threads.set_threads = real
    return z, x


@TWO
def test_v_cycles_on_two_threads_give_the_numbers_of_one():
    z1, x1 = _solve(1, None)
    calls = []
    z2, x2 = _solve(2, 0, calls)
    assert 2 in calls  # the levels ran on two threads
    assert np.array_equal(z1, z2) and np.array_equal(x1, x2)
    # and the solve is a solve: the residual against the operator, computed apart
    op, b = _layered_system()
    assert np.linalg.norm(b - _apply(op, x2)) <= 1e-9 * np.linalg.norm(b)


def _apply(op, x):
    """(A + diag d) x from the face conductances, in NumPy (flux g (x_lo - x_hi) per face)."""
    y = op.shift * x
    for a, g in enumerate(op.g):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[a], hi[a] = slice(None, -1), slice(1, None)
        inner = [slice(None)] * 3
        inner[a] = slice(1, -1)
        flux = g[tuple(inner)] * (x[tuple(lo)] - x[tuple(hi)])
        y[tuple(lo)] += flux
        y[tuple(hi)] -= flux
    return y


@TWO
def test_the_sums_keep_one_thread_below_their_size():
    """Below PARALLEL_MIN_CELLS the PCG's sums (whose order the thread count changes) run on
    one thread: every V-cycle ends by setting one thread back."""
    calls = []
    _solve(2, 0, calls)
    assert calls and calls[-1] == 1
    assert calls.count(2) >= 1 and calls.count(1) >= calls.count(2)


def test_the_size_defaults_to_the_sums_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv(solvers.EXACT_MIN_CELLS_ENV, raising=False)
    solvers.set_max_threads(None)
    assert solvers.exact_min_cells() == solvers.PARALLEL_MIN_CELLS
    solvers.set_max_threads(None, min_cells=1234)
    assert solvers.exact_min_cells() == 1234
    monkeypatch.setenv(solvers.EXACT_MIN_CELLS_ENV, "30000")
    solvers.set_max_threads(None)
    assert solvers.exact_min_cells() == 30000
    assert solvers.thread_policy()["parallel_exact_min_cells"] == 30000
    solvers.set_max_threads(None, exact_min_cells=7)
    assert solvers.exact_min_cells() == 7
    for bad in ("many", "-5", "1e4"):
        monkeypatch.setenv(solvers.EXACT_MIN_CELLS_ENV, bad)
        solvers.set_max_threads(None)
        with pytest.raises(ValueError, match=f"CELLSIM_PARALLEL_EXACT_MIN_CELLS = '{bad}'.*whole number"):
            solvers.exact_min_cells()


def test_auto_overlap_leaves_the_cores_to_parallel_v_cycles(monkeypatch):
    """On a grid whose V-cycles run on the threads, "auto" adds the species thread only
    where a core is left beside the V-cycles' team (two cores, two threads: no)."""
    monkeypatch.setattr(solvers, "_OVERLAP", [None])
    monkeypatch.delenv("CELLSIM_OVERLAP_STEPS", raising=False)
    monkeypatch.delenv(solvers.EXACT_MIN_CELLS_ENV, raising=False)
    monkeypatch.setattr(solvers, "_spare_core", lambda: True)
    n = 4 * solvers.OVERLAP_MIN_CELLS

    def allow(exact):  # two kernel threads whatever NUMBA_NUM_THREADS (no kernel runs here)
        solvers.set_max_threads(None, exact_min_cells=exact)
        monkeypatch.setattr(solvers, "_MAX_THREADS", [2])

    allow(None)
    assert solvers.overlap_steps(n)
    allow(n)
    monkeypatch.setattr(solvers, "usable_cores", lambda: 2)
    assert not solvers.overlap_steps(n)
    monkeypatch.setattr(solvers, "usable_cores", lambda: 3)  # a core beside the team of two
    assert solvers.overlap_steps(n)
    allow(n + 1)  # this grid's V-cycles on one thread
    monkeypatch.setattr(solvers, "usable_cores", lambda: 2)
    assert solvers.overlap_steps(n)
    assert solvers.overlap_steps(n, "on")  # "on" whatever the kernels do


@TWO
def test_a_coarse_3d_campaign_steps_alike_on_one_and_two_threads():
    """Three 1.5 h steps of the coarse 3D pot (6,960 cells) with every V-cycle level on two
    threads: the temperatures, concentrations and pools of one thread, bit for bit."""
    out = []
    for threads, exact in ((1, None), (2, 0)):
        solvers.set_max_threads(threads, exact_min_cells=exact)
        model = make_model(load_config("rusal-3kA", ['numerics.model="3d"', 'numerics.resolution="coarse"',
                                                     'numerics.overlap_steps="off"']))
        for _ in range(3):
            model.step(5400.0)
        s = model.state
        out.append((model.physics.thermal.heat_state.T.copy(), model.physics.species.concentration.copy(),
                    s.alloy.copy(), s.cathode.copy(), s.electrolyte.copy()))
    for a, b in zip(*out):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name, value", [("CELLSIM_PARALLEL_EXACT_MIN_CELLS", "lots"),
                                         ("CELLSIM_OVERLAP_STEPS", "sometimes")])
def test_the_cli_names_a_bad_thread_variable_before_any_work(monkeypatch, tmp_path, name, value):
    from clitools import run_cli

    monkeypatch.setenv(name, value)
    out = tmp_path / "r.h5"
    result = run_cli("run", "rusal-3kA", "-o", out, "-q", sets=('numerics.model="lumped"',))
    assert result.exit_code == 2 and not out.exists()
    assert f"{name} = '{value}'" in result.output and "unexpected" not in result.output
