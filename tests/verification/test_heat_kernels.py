"""cellsim.kernels.heat against its NumPy twins (tests/reference/heat_numpy.py), random inputs."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
from reference import heat_numpy as ref

from cellsim.kernels import fv
from cellsim.kernels import heat as hk

pytestmark = pytest.mark.verification


def random_props(rng, n):
    c_s = rng.uniform(1e6, 4e6, n)
    c_l = rng.uniform(1e6, 4e6, n)
    t_s = rng.uniform(800, 1000, n)
    t_l = t_s + np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.5, 20, n))
    lat = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(1e8, 6e8, n))
    return c_s, c_l, t_s, t_l, lat


def test_enthalpy_round_trip_matches_numpy():
    rng = np.random.default_rng(1)
    n = 5000
    props = random_props(rng, n)
    t = rng.uniform(700, 1100, n)
    h = np.empty(n)
    hk.enthalpy_from_temperature(t, *props, h)
    np.testing.assert_allclose(h, ref.enthalpy_from_temperature(t, *props), rtol=1e-12, atol=1e-3)
    hq = h + rng.uniform(-5e8, 5e8, n)
    out = [np.empty(n) for _ in range(3)]
    hk.temperature_from_enthalpy(hq, *props, *out)
    for a, b in zip(out, ref.temperature_from_enthalpy(hq, *props)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    back = np.empty(n)
    hk.enthalpy_from_temperature(out[0], *props, back)
    mushy_iso = (out[1] > 0) & (out[1] < 1) & (props[3] == props[2])
    np.testing.assert_allclose(back[~mushy_iso], hq[~mushy_iso], rtol=1e-10, atol=1e-2)


def random_operator(rng, shape):
    n0, n1, n2 = shape
    g = [rng.uniform(0.1, 5.0, (n0 + (a == 0), n1 + (a == 1), n2 + (a == 2))) for a in range(3)]
    return g, rng.uniform(0.0, 3.0, shape)


def test_shifted_residual_matches_numpy():
    rng = np.random.default_rng(2)
    shape = (7, 5, 6)
    g, d = random_operator(rng, shape)
    x, b = rng.normal(size=shape), rng.normal(size=shape)
    out = np.empty(shape)
    rr = hk.shifted_residual(*g, d, x, b, out)
    ref_out, ref_rr = ref.shifted_residual(*g, d, x, b)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    assert rr == pytest.approx(ref_rr, rel=1e-12)


@pytest.mark.parametrize("backend", ["jacobi", "multigrid", "lu"])
def test_layer_backends_match_sparse_direct(backend):
    """Every preconditioner backend of the linear-algebra layer (cellsim.fields.solvers)
    with the same PCG on A + diag d: against SciPy's sparse direct solve."""
    from cellsim.fields.solvers import LinearSolver, StencilOperator

    rng = np.random.default_rng(3)
    shape = (9, 8, 7)
    g, d = random_operator(rng, shape)
    b = rng.normal(size=shape)
    options = {"coarse_cells": 64} if backend == "multigrid" else {}
    solver = LinearSolver(StencilOperator(*g, d), backend, **options)
    x = solver.solve(b, rtol=1e-12, maxiter=1000)
    assert solver.last_iterations > 0
    indptr, indices, data = fv.assemble_csr(*g)
    a = scipy.sparse.csr_matrix((data, indices, indptr)) + scipy.sparse.diags(d.reshape(-1))
    exact = scipy.sparse.linalg.spsolve(a.tocsc(), b.reshape(-1)).reshape(shape)
    np.testing.assert_allclose(x, exact, rtol=1e-9, atol=1e-10 * np.abs(exact).max())


def test_surface_linearisation_matches_numpy():
    rng = np.random.default_rng(4)
    n = 2000
    args = (rng.uniform(300, 1300, n), rng.uniform(1.0, 500.0, n), rng.uniform(0.0, 20.0, n),
            rng.uniform(0.0, 0.9, n) * 5.670374419e-8, rng.uniform(280, 320, n), rng.uniform(-500, 500, n))
    out = [np.empty(n) for _ in range(3)]
    hk.surface_linearisation(*args, *out)
    for a, b in zip(out, ref.surface_linearisation(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-9)
