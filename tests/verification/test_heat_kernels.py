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


@pytest.mark.parametrize("backend", ["jacobi", "multigrid", "lu", "cholesky"])
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


def _boundary_numpy(solver, k, T, g):
    """The boundary patch of HeatSolver as NumPy operations side by side (the form the
    kernel replaced), the surface law by the verified surface_linearisation kernel."""
    b = np.zeros(solver.grid.shape)
    out = {}
    for sd in solver._sides:
        cells, shape, fixed = sd["cells"], sd["shape"], sd["fixed"]
        kappa = k[cells] / sd["half"]
        h, value = sd["h"], sd["value"]
        if sd["rad"] is not None:
            h0, es, amb, f0 = sd["rad"]
            m = h0.size
            ts, hl, vl = np.empty(m), np.empty(m), np.empty(m)
            hk.surface_linearisation(np.ascontiguousarray(T[cells]).reshape(-1),
                                     np.ascontiguousarray(kappa).reshape(-1), h0, es, amb, f0, ts, hl, vl)
            h = np.where(fixed, h, hl.reshape(shape))
            value = np.where(fixed, value, vl.reshape(shape))
        with np.errstate(divide="ignore", invalid="ignore"):
            gb = sd["area"] / (1.0 / kappa + 1.0 / h)
            share = np.where(fixed, 0.0, np.where(h > 0, kappa / (kappa + h), 1.0))
        q = sd["flux"] * share * sd["area"]
        g[sd["a"]][sd["faces"]] = gb
        b[cells] += gb * value - q
        out[sd["side"]] = (gb, value, q)
    return b, out


@pytest.mark.parametrize("axisymmetric", [True, False])
def test_boundary_patch_matches_numpy_bit_for_bit(axisymmetric):
    """kernels.heat.boundary_patch (HeatSolver._boundary) gives the same bits as the NumPy
    form: fixed, convective, radiating (with an extra flux, partly fixed faces) and
    insulated sides, cells at the corners shared by two sides."""
    from cellsim.fields.grid import Grid
    from cellsim.fields.heat import HeatProperties, HeatSolver, SurfaceBC

    rng = np.random.default_rng(7)
    if axisymmetric:
        faces = (np.cumsum(np.r_[0.0, rng.uniform(0.01, 0.05, 9)]), np.array([0.0, 2 * np.pi]),
                 np.cumsum(np.r_[0.0, rng.uniform(0.01, 0.05, 12)]))
    else:
        faces = tuple(np.cumsum(np.r_[0.0, rng.uniform(0.01, 0.05, n)]) for n in (5, 4, 6))
    shape = tuple(f.size - 1 for f in faces)
    grid = Grid("rz" if axisymmetric else "xyz", faces, np.zeros(shape, dtype=np.int32), {"solid": 0})
    props = HeatProperties.constant(shape, rng.uniform(0.5, 50.0, shape), 2e6)
    zface = (shape[0], shape[1])
    h_mixed = np.where(rng.random(zface) < 0.3, np.inf, rng.uniform(1.0, 30.0, zface))
    bcs = {"x+": SurfaceBC(h=12.0, value=300.0, emissivity=rng.uniform(0.0, 0.9, (shape[1], shape[2])),
                           ambient=310.0, flux=rng.uniform(-50.0, 50.0, (shape[1], shape[2]))),
           "z-": SurfaceBC(h=np.inf, value=900.0),
           "z+": SurfaceBC(h=h_mixed, value=rng.uniform(280.0, 320.0, zface), emissivity=0.8, ambient=300.0,
                           flux=20.0),
           "y-": SurfaceBC()}
    if axisymmetric:
        del bcs["y-"]
    solver = HeatSolver(grid, props, bcs)
    k = props.conductivity(np.zeros(shape))
    T = rng.uniform(350.0, 1000.0, shape)
    g_ref = [a.copy() for a in solver._interior(k)]
    g_new = [a.copy() for a in g_ref]
    b_ref, out_ref = _boundary_numpy(solver, k, T, g_ref)
    b_new, out_new = solver._boundary(k, T, g_new)
    assert np.array_equal(b_new, b_ref)
    for a, c in zip(g_new, g_ref):
        assert np.array_equal(a, c)
    assert out_new.keys() == out_ref.keys()
    for side in out_ref:
        for a, c in zip(out_new[side], out_ref[side]):
            assert np.shape(a) == np.shape(c)
            assert np.array_equal(a, c), side


def test_pairwise_sum_is_numpys_sum_bit_for_bit():
    """kernels.linalg.pairwise_sum (the NumPy reductions inside fused kernels) equals np.sum
    of the same contiguous array to the last bit: every length up to 600 (the unrolled
    blocks of 8, their tails, one and several halvings), grid-sized ones, cell arrays of an
    r-z shape and a sub-range."""
    from cellsim.kernels.linalg import pairwise_sum

    rng = np.random.default_rng(3)
    for n in list(range(0, 600)) + [1248, 3264, 9000, 70001]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert pairwise_sum(a, 0, n) == np.sum(a), n
    a = rng.standard_normal((48, 1, 68))
    assert pairwise_sum(a.reshape(-1), 0, a.size) == np.sum(a)
    a = rng.standard_normal(1000)
    assert pairwise_sum(a, 300, 517) == np.sum(a[300:817])


def _phase_change_solver(rng):
    """An r-z HeatSolver with latent heat (isothermal and mushy cells), radiating and fixed
    sides, and a state whose enthalpies straddle both kinks of H(T)."""
    from cellsim.fields.grid import Grid
    from cellsim.fields.heat import HeatProperties, HeatSolver, SurfaceBC

    faces = (np.cumsum(np.r_[0.0, rng.uniform(0.01, 0.05, 9)]), np.array([0.0, 2 * np.pi]),
             np.cumsum(np.r_[0.0, rng.uniform(0.01, 0.05, 12)]))
    shape = tuple(f.size - 1 for f in faces)
    grid = Grid("rz", faces, np.zeros(shape, dtype=np.int32), {"solid": 0})
    c_s, c_l, t_s, t_l, lat = (a.reshape(shape) for a in random_props(rng, int(np.prod(shape))))
    k_s = rng.uniform(0.5, 50.0, shape)
    props = HeatProperties(k_s, 2.0 * k_s, c_s, c_l, t_s, t_l, lat)
    zface = (shape[0], shape[1])
    bcs = {"r+": SurfaceBC(h=12.0, value=300.0, emissivity=0.7, ambient=310.0, flux=15.0),
           "z-": SurfaceBC(h=np.inf, value=900.0),
           "z+": SurfaceBC(h=rng.uniform(1.0, 30.0, zface), value=300.0, emissivity=0.8, ambient=300.0)}
    solver = HeatSolver(grid, props, bcs)
    h_liq = c_s * (t_l - t_s) + lat
    X = h_liq * rng.uniform(-0.5, 1.5, shape)
    return solver, X, h_liq


@pytest.mark.parametrize("transient, heater, first", [(True, True, True), (True, True, False),
                                                       (True, False, True), (False, True, True)])
def test_newton_residual_kernel_is_the_numpy_evaluation(transient, heater, first):
    """kernels.heat.newton_residual (HeatSolver._evaluation_kernel, the r-z Newton) gives the
    bits of the NumPy definition HeatSolver._evaluation_numpy: T, dH/dT, the shift, the
    residual, the patched boundary conductances, every side's flows and the sums of the
    Newton test (transient and steady, with and without a heater, the first iteration's
    round-off floor)."""
    rng = np.random.default_rng(11)
    solver, X, _ = _phase_change_solver(rng)
    shape = solver.grid.shape
    k = solver.props.conductivity(rng.uniform(0.0, 1.0, shape))
    m = solver.volumes / 3600.0 if transient else None
    H_old = X * rng.uniform(0.9, 1.1, shape) if transient else None
    if not transient:  # steady: X is the temperature
        X = rng.uniform(700.0, 1100.0, shape)
    q = rng.uniform(-5.0, 20.0, shape)
    qh = rng.random(shape) / shape[0] if heater else None
    P = 812.5 if heater else 0.0
    zero = np.zeros(shape)
    g0 = solver._interior(k)
    diag = solver._diag_int
    g_ref, g_new = [a.copy() for a in g0], [a.copy() for a in g0]
    ref = solver._evaluation_numpy(X, H_old, m, k, g_ref, zero, q, P, qh, diag, first, transient)
    new = solver._evaluation_kernel(None if qh is None else object())(
        X, H_old, m, k, g_new, zero, q, P, qh, diag, first, transient)
    for a, b in zip(g_new, g_ref):
        assert np.array_equal(a, b)
    for i in (0, 2, 3):  # T, d, r
        assert np.array_equal(new[i], ref[i]), i
    if transient:
        assert np.array_equal(new[1], ref[1])
    else:
        assert new[1] is None and ref[1] is None
    assert new[4].keys() == ref[4].keys()
    for side in ref[4]:
        for a, b in zip(new[4][side], ref[4][side]):
            assert a.shape == b.shape and np.array_equal(a, b), side
    assert new[5:] == ref[5:]  # sum |r|, flows, storage, sum r^2, the floor's terms
    assert all(np.isfinite(new[5:])) and new[5] > 0.0


def test_enthalpy_update_is_clip_kinks():
    """kernels.heat.enthalpy_update is X + C dT stopped at the kinks of H(T) as
    HeatSolver._clip_kinks, bit for bit, and the plain update without clipping."""
    rng = np.random.default_rng(12)
    solver, X, h_liq = _phase_change_solver(rng)
    C = rng.uniform(1e6, 4e6, X.shape)
    dT = rng.uniform(-3.0, 3.0, X.shape) * np.abs(h_liq) / C
    out = np.empty(X.shape)
    hk.enthalpy_update(X.reshape(-1), C.reshape(-1), dT.reshape(-1), h_liq.reshape(-1), True,
                       out.reshape(-1))
    ref = solver._clip_kinks(X, X + C * dT)
    assert np.array_equal(out, ref)
    assert np.any(ref == 0.0) and np.any(ref == h_liq)  # both kinks were crossed
    hk.enthalpy_update(X.reshape(-1), C.reshape(-1), dT.reshape(-1), h_liq.reshape(-1), False,
                       out.reshape(-1))
    assert np.array_equal(out, X + C * dT)


def test_heater_sums_are_numpy_sums():
    """kernels.heat.heater_sums gives np.sum(cw * (T + dT)) and np.sum(cw * dw) bit for bit
    (HeatSolver._newton's control update on one thread), on grids above and below NumPy's
    pairwise block of 128 elements, and each to round-off of math.fsum."""
    import math

    rng = np.random.default_rng(13)
    for shape in ((3, 1, 7), (48, 1, 68), (33, 1, 129)):
        cw = rng.random(shape)
        cw /= cw.sum()
        T, dT, dw = rng.uniform(700, 1100, shape), rng.normal(0, 1, shape), rng.normal(0, 1e-3, shape)
        mean, slope = hk.heater_sums(cw, T, dT, dw, np.empty(shape))
        assert mean == np.sum(cw * (T + dT)) and slope == np.sum(cw * dw)
        assert math.isclose(mean, math.fsum((cw * (T + dT)).ravel()), rel_tol=1e-13)


@pytest.mark.parametrize("with_heater", [True, False])
def test_band_newton_is_the_python_iteration(with_heater):
    """HeatSolver._newton_band (the r-z heat Newton on one thread with the band Cholesky
    solve, its glue as kernels: newton_test, heater_accuracy, newton_update, the solves
    through ShiftedSolver.solve_band) gives the bits of the Python iteration it replaces (the
    same solver with ``band_newton`` off: the evaluation kernel, ``_heater_rtol``,
    ShiftedSolver.solve): enthalpies, heater power and demand, iterations and balance over
    transient steps that cross the phase kinks and a steady state, with and without a
    heater (whose power clips at its maximum in one step). Independently: each step's balance
    closes (stored = sources + heater - losses) to the Newton tolerance of its throughput."""
    from cellsim.fields.heat import Heater
    from cellsim.fields.solvers import threads_for

    solvers = []
    for band in (True, False):
        solver, X, _ = _phase_change_solver(np.random.default_rng(17))
        solver.band_newton = band
        assert solver.linear.kind == "cholesky"
        solvers.append((solver, X))
    shape = solvers[0][0].grid.shape
    threads_for(int(np.prod(shape)))
    region = np.zeros(shape, dtype=bool)
    region[: shape[0] // 2, :, 2:5] = True
    control = np.zeros(shape, dtype=bool)
    control[:, :, shape[2] // 2:] = True
    heaters = [Heater(region, control, 1000.0, 400.0), Heater(region, control, 1000.0, 40.0)] \
        if with_heater else [None, None]
    sources = {"joule": np.random.default_rng(4).uniform(0.0, 30.0, shape)}
    runs = []
    for solver, X in solvers:
        st = solver._state_from_h(X.copy(), 0.0, 150.0)
        out = []
        for heater in heaters + [heaters[0]]:
            st, bal = solver.step(st, 1800.0, sources, heater)
            out.append((st.H.copy(), st.heater_power, bal))
        st_s, bal_s = solver.steady(sources, heaters[0], guess=st)
        out.append((st_s.T.copy(), st_s.heater_power, bal_s))
        runs.append(out)
    clipped = False
    for (Hb, Pb, bb), (Hp, Pp, bp) in zip(*runs):
        assert np.array_equal(Hb, Hp)
        assert Pb == Pp
        assert (bb.stored, bb.heater, bb.heater_demand, bb.residual, bb.newton_iterations) == \
               (bp.stored, bp.heater, bp.heater_demand, bp.residual, bp.newton_iterations)
        assert bb.losses == bp.losses
        throughput = abs(bb.stored) + abs(bb.heater) + sum(abs(v) for v in bb.losses.values())
        assert abs(bb.residual) <= 1e-6 * throughput
        clipped |= with_heater and bb.heater == 40.0 and bb.heater_demand > 40.0
    assert clipped or not with_heater


def test_heater_accuracy_is_heater_rtol():
    """kernels.heat.heater_accuracy gives HeatSolver._heater_rtol's accuracy on a direct solve
    bit for bit: from a last response (inside and at both ends of [lin_rtol, lin_rtol_max]),
    without one, with a response of no slope, and at the set point (no power change)."""
    from cellsim.fields.heat import Heater

    rng = np.random.default_rng(19)
    solver, X, _ = _phase_change_solver(rng)
    shape = solver.grid.shape
    assert solver.linear.direct
    region = rng.random(shape) < 0.3
    control = rng.random(shape) < 0.5
    T, dT = rng.uniform(900.0, 1100.0, shape), rng.normal(0.0, 0.5, shape)
    ctl = np.zeros(hk.CTL_SIZE)
    ctl[hk.CTL_LIN_RTOL], ctl[hk.CTL_LIN_RTOL_MAX] = solver.lin_rtol, solver.lin_rtol_max
    ctl[hk.CTL_ROOT_N] = np.sqrt(T.size)
    seen = set()
    for set_point in (1000.0, None):
        heater = Heater(region, control, 1000.0 if set_point else 0.0)
        qh, cw = solver._heater_weights(heater)
        if set_point is None:  # the set point at the control mean: dP = 0
            heater = Heater(region, control, float(np.sum(cw * T)) + float(np.sum(cw * dT)))
        for dw in (None, rng.uniform(0.0, 2e-3, shape), -rng.uniform(0.0, 2e-3, shape)):
            for target in (1e-9, 1e-3, 1e2, 1e6):
                solver._dw_last = dw
                ref, l1 = solver._heater_rtol(heater, T, dT, cw, qh, target, np.sqrt(T.size))
                ctl[hk.CTL_TARGET] = target
                new = hk.heater_accuracy(cw, qh, T, dT, np.zeros(shape) if dw is None else dw,
                                         dw is not None, float(heater.set_point), ctl)
                assert new == ref and l1 is None, (dw is None, target)
                seen.add(new)
    assert {solver.lin_rtol, solver.lin_rtol_max} <= seen and len(seen) >= 3
