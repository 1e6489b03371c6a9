"""Shifted operator A + diag(d) in the multigrid kernels and MultigridSolver(shift=...):
smoothers solve their rows exactly, coarsening of d is Galerkin, the solver matches a sparse
direct reference, and a zero/absent shift leaves the unshifted solver unchanged."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from reference import fv_numpy as ref

from cellsim.fields.solvers import MultigridSolver
from cellsim.kernels import fv
from cellsim.kernels import heat as hk
from cellsim.kernels import multigrid as mg

pytestmark = pytest.mark.verification


def operator(rng, shape, zero_frac=0.05):
    g = ref.random_faces(rng, shape, zero_frac, decades=(-1, 3), insulated_sides=True)
    d = rng.random(shape) * 10.0 ** rng.uniform(-3, 1, shape)
    return g, d


def sparse(g, d):
    indptr, indices, data = fv.assemble_csr(*g)
    return (scipy.sparse.csr_matrix((data, indices, indptr)) + scipy.sparse.diags(d.reshape(-1))).tocsc()


@pytest.mark.parametrize("shape", [(5, 4, 6), (6, 1, 9)])
def test_shifted_smoothers_solve_their_rows(shape):
    rng = np.random.default_rng(31 + sum(shape))
    g, d = operator(rng, shape)
    b, x = rng.standard_normal(shape), rng.standard_normal(shape)
    cp, inv = np.empty(shape), np.empty(shape)
    cp0, inv0 = np.empty(shape), np.empty(shape)
    mg.line_factors_z(*g, d, cp, inv)
    mg.line_factors_z(*g, np.zeros(shape), cp0, inv0)
    i, j, _ = np.indices(shape)
    r = np.empty(shape)
    for colour in (0, 1):
        x2 = x.copy()
        mg.line_gauss_seidel_z_factored(*g, cp, inv, b, x2, colour)
        hk.shifted_residual(*g, d, x2, b, r)
        lines = (i + j) % 2 == colour
        np.testing.assert_allclose(r[lines], 0.0, atol=1e-10 * np.abs(b).max())
        np.testing.assert_array_equal(x2[~lines], x[~lines])
        x3 = x.copy()
        mg.gauss_seidel_colour_shifted(*g, d, b, x3, colour)
        hk.shifted_residual(*g, d, x3, b, r)
        pts = (np.indices(shape).sum(axis=0)) % 2 == colour
        np.testing.assert_allclose(r[pts], 0.0, atol=1e-10 * np.abs(b).max())
        # with d = 0 the shifted kernels are the unshifted ones
        x4, x5 = x.copy(), x.copy()
        mg.gauss_seidel_colour_shifted(*g, np.zeros(shape), b, x4, colour)
        mg.gauss_seidel_colour(*g, b, x5, colour)
        np.testing.assert_allclose(x4, x5, rtol=1e-14, atol=1e-14)
        x6 = x.copy()
        mg.line_gauss_seidel_z_factored(*g, cp0, inv0, b, x6, colour)
        np.testing.assert_allclose(x6, ref.line_gauss_seidel_z(*g, b, x, colour), rtol=1e-9, atol=1e-9)


def test_shift_coarsens_as_galerkin():
    rng = np.random.default_rng(6)
    shape, f = (5, 4, 3), (2, 2, 2)
    _, d = operator(rng, shape)
    cs = mg.coarse_shape(*shape, *f)
    p = np.zeros((int(np.prod(shape)), int(np.prod(cs))))
    for idx in np.ndindex(*shape):
        p[np.ravel_multi_index(idx, shape), np.ravel_multi_index(tuple(i // 2 for i in idx), cs)] = 1.0
    dc = np.empty(cs)
    mg.restrict_sum(d, *f, dc)
    np.testing.assert_allclose(np.diag(dc.reshape(-1)), p.T @ np.diag(d.reshape(-1)) @ p, rtol=1e-14, atol=0)


@pytest.mark.parametrize("shape,f", [((5, 4, 6), (2, 2, 2)), ((7, 5, 9), (2, 2, 2)), ((6, 1, 9), (2, 1, 2)),
                                     ((3, 3, 1), (2, 2, 1))])
def test_residual_restrict_is_residual_then_sums(shape, f):
    """The V-cycle's fused kernel: P^T (b - (A + diag d) x) against the dense operator (sums
    by aggregate of the residual), and bit for bit the two kernels it replaces."""
    rng = np.random.default_rng(7 + sum(shape))
    g, d = operator(rng, shape)
    b, x = rng.standard_normal(shape), rng.standard_normal(shape)
    cs = mg.coarse_shape(*shape, *f)
    out = np.full(cs, np.nan)
    mg.residual_restrict(*g, d, x, b, *f, out)
    r_dense = b.reshape(-1) - sparse(g, d) @ x.reshape(-1)
    agg = np.ravel_multi_index(tuple(ix // fa for ix, fa in zip(np.indices(shape), f)), cs).reshape(-1)
    np.testing.assert_allclose(out.reshape(-1), np.bincount(agg, r_dense, minlength=out.size),
                               rtol=1e-12, atol=1e-12 * np.abs(r_dense).sum())
    r, two = np.empty(shape), np.empty(cs)
    hk.shifted_residual(*g, d, x, b, r)
    mg.restrict_sum(r, *f, two)
    np.testing.assert_array_equal(out, two)


@pytest.mark.parametrize("shape,f", [((5, 4, 6), (2, 2, 2)), ((7, 5, 9), (2, 2, 2)), ((6, 1, 9), (2, 1, 2)),
                                     ((3, 3, 1), (2, 2, 1)), ((4, 3, 5), (2, 2, 1))])
def test_residual_restrict_unshifted_is_residual_then_sums(shape, f):
    """The unshifted fused kernel (the current's V-cycle): P^T (b - A x) against the dense
    operator, and bit for bit ``fv.residual`` then ``restrict_sum``, the kernels it replaces."""
    rng = np.random.default_rng(11 + sum(shape))
    g, _ = operator(rng, shape)
    b, x = rng.standard_normal(shape), rng.standard_normal(shape)
    cs = mg.coarse_shape(*shape, *f)
    out = np.full(cs, np.nan)
    mg.residual_restrict_unshifted(*g, x, b, *f, out)
    r_dense = b.reshape(-1) - sparse(g, np.zeros(shape)) @ x.reshape(-1)
    agg = np.ravel_multi_index(tuple(ix // fa for ix, fa in zip(np.indices(shape), f)), cs).reshape(-1)
    np.testing.assert_allclose(out.reshape(-1), np.bincount(agg, r_dense, minlength=out.size),
                               rtol=1e-12, atol=1e-12 * np.abs(r_dense).sum())
    r, two = np.empty(shape), np.empty(cs)
    fv.residual(*g, x, b, r)
    mg.restrict_sum(r, *f, two)
    np.testing.assert_array_equal(out, two)


@pytest.mark.parametrize("shape", [(12, 10, 16), (17, 1, 23), (20, 20, 20)])
@pytest.mark.parametrize("smoother", ["zline", "point"])
def test_shifted_multigrid_matches_sparse_direct(shape, smoother):
    rng = np.random.default_rng(sum(shape))
    g, d = operator(rng, shape)
    b = rng.standard_normal(shape)
    exact = scipy.sparse.linalg.spsolve(sparse(g, d), b.reshape(-1)).reshape(shape)
    s = MultigridSolver(*g, shift=d, smoother=smoother, coarse_cells=64)
    u = s.solve(b, rtol=1e-12)
    np.testing.assert_allclose(u, exact, rtol=1e-8, atol=1e-9 * np.abs(exact).max())
    # update to no shift: back to A u = b (z boundary faces keep A definite)
    s.update(*g)
    u0 = s.solve(b, rtol=1e-12)
    ref0 = MultigridSolver(*g, smoother=smoother, coarse_cells=64).solve(b, rtol=1e-12)
    np.testing.assert_allclose(u0, ref0, rtol=1e-9, atol=1e-10 * np.abs(ref0).max())
    # and a shifted update again, with a different shift
    s.update(*g, shift=2.0 * d)
    exact2 = scipy.sparse.linalg.spsolve(sparse(g, 2.0 * d), b.reshape(-1)).reshape(shape)
    np.testing.assert_allclose(s.solve(b, rtol=1e-12), exact2, rtol=1e-8, atol=1e-9 * np.abs(exact2).max())


def test_pcg_reaches_the_one_norm_asked():
    """``l1_max``: a solve asked for a loose 2-norm goes on until the true residual's 1-norm
    is at most l1_max (the residual from the sparse direct operator), and the solution then
    agrees with the direct one as that residual allows; without it the loose solve stops
    above that 1-norm (so the check decides)."""
    shape = (12, 10, 16)
    rng = np.random.default_rng(5)
    g, d = operator(rng, shape)
    b = rng.standard_normal(shape)
    a = sparse(g, d)
    exact = scipy.sparse.linalg.spsolve(a, b.reshape(-1)).reshape(shape)
    l1_max = 1e-7 * np.abs(b).sum()
    loose = MultigridSolver(*g, shift=d, coarse_cells=64).solve(b, rtol=1e-2)
    assert np.abs(b.reshape(-1) - a @ loose.reshape(-1)).sum() > l1_max
    s = MultigridSolver(*g, shift=d, coarse_cells=64)
    u = s.solve(b, rtol=1e-2, l1_max=l1_max)
    r = b.reshape(-1) - a @ u.reshape(-1)
    assert np.abs(r).sum() <= l1_max * (1 + 1e-9)
    err = scipy.sparse.linalg.spsolve(a, r).reshape(shape)  # the error the residual leaves
    np.testing.assert_allclose(u, exact, rtol=0, atol=1.01 * np.abs(err).max() + 1e-14)


def _isolate(g, d, cells):
    """Make ``cells`` inactive: every face of each set to 0 and no shift (a zero diagonal)."""
    gx, gy, gz = g
    for i, j, m in cells:
        gx[i, j, m] = gx[i + 1, j, m] = gy[i, j, m] = gy[i, j + 1, m] = gz[i, j, m] = gz[i, j, m + 1] = 0.0
        d[i, j, m] = 0.0


@pytest.mark.parametrize("shape", [(5, 4, 6), (6, 1, 9), (1, 1, 7), (3, 3, 1), (9, 8, 13)])
@pytest.mark.parametrize("shifted", [True, False])
def test_line_sweep_from_zero_is_fill_then_sweep(shape, shifted):
    """``line_gauss_seidel_z_from_zero`` against filling x with 0 and sweeping (the kernel it
    replaces at the start of a V-cycle level): the same numbers bit for bit, signed zeros
    included (b holds -0.0), with inactive cells, and x's earlier contents never read."""
    rng = np.random.default_rng(71 + sum(shape) + shifted)
    g, d = operator(rng, shape)
    if not shifted:
        d = np.zeros(shape)
    _isolate(g, d, [(0, 0, 0), (shape[0] - 1, shape[1] - 1, shape[2] - 1)])
    cp, inv = np.empty(shape), np.empty(shape)
    mg.line_factors_z(*g, d, cp, inv)
    assert np.count_nonzero(inv == 0.0) >= 2  # the inactive cells are there
    b = rng.standard_normal(shape)
    b.reshape(-1)[::5] = -0.0
    for colour in (0, 1):
        want = np.zeros(shape)
        mg.line_gauss_seidel_z_factored(*g, cp, inv, b, want, colour)
        got = np.full(shape, np.nan)
        mg.line_gauss_seidel_z_from_zero(g[2], cp, inv, b, got, colour)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def _vcycle_fill_then_sweep(s, lev, b, x):
    """The V-cycle of MultigridBackend as it was before the zero-start sweep: each level's
    correction filled with 0, then swept (the reference of the test below)."""
    if lev == len(s.shapes) - 1:
        mg.band_cholesky_solve(s._coarse_factor, s._coarse_bw, b.reshape(-1), x.reshape(-1))
        return
    for _ in range(s.n_smooth):
        s._smooth(lev, b, x, 0)
        s._smooth(lev, b, x, 1)
    f = s.factors[lev]
    if s.d[lev] is None:
        mg.residual_restrict_unshifted(*s.g[lev], x, b, *f, s.b[lev + 1])
    elif s.n_smooth > 0 and s._all_active[lev]:  # the residual of the unsolved colour only
        mg.residual_restrict_line_solved(*s.g[lev], s.d[lev], x, b, *f, s.b[lev + 1], 1)
    else:
        mg.residual_restrict(*s.g[lev], s.d[lev], x, b, *f, s.b[lev + 1])
    xc = s.x[lev + 1]
    xc[...] = 0.0
    _vcycle_fill_then_sweep(s, lev + 1, s.b[lev + 1], xc)
    mg.prolong_add(xc, *f, s.scale, x)
    for _ in range(s.n_smooth):
        s._smooth(lev, b, x, 1)
        s._smooth(lev, b, x, 0)


@pytest.mark.parametrize("shape", [(12, 10, 16), (17, 1, 23), (9, 8, 13)])
@pytest.mark.parametrize("shifted", [True, False])
@pytest.mark.parametrize("n_smooth,smoother", [(2, "zline"), (1, "zline"), (0, "zline"), (2, "point")])
def test_vcycle_zero_start_is_bit_for_bit(shape, shifted, n_smooth, smoother):
    """The preconditioner z = M r of MultigridBackend (each level from a zero correction,
    written without a fill) equals the fill-then-sweep V-cycle bit for bit, whatever z held
    before; hence the PCG iterates and every field result are unchanged."""
    from cellsim.fields.solvers import MultigridBackend, StencilOperator

    rng = np.random.default_rng(5 + sum(shape) + 3 * n_smooth + shifted)
    g, d = operator(rng, shape)
    _isolate(g, d, [(1, 0, 2)])
    op = StencilOperator(*g, d if shifted else None)
    m = MultigridBackend(op, n_smooth=n_smooth, coarse_cells=40, scale=1.4, smoother=smoother)
    assert len(m.shapes) >= 3
    r = rng.standard_normal(shape)
    want = np.zeros(shape)
    _vcycle_fill_then_sweep(m, 0, r, want)
    got = rng.standard_normal(shape)  # stale contents: never read
    m(r, got)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape,f", [((5, 4, 6), (2, 2, 2)), ((7, 5, 9), (2, 2, 2)), ((6, 1, 9), (2, 1, 2))])
def test_residual_restrict_after_a_line_sweep_leaves_the_solved_colour_out(shape, f):
    """``residual_restrict_line_solved``: after a z-line half sweep of colour 1 those columns'
    residual is 0 up to rounding, so the kernel sums colour 0's only: against the dense
    operator's residual (scipy) summed by aggregate, with and without its colour-1 entries
    (those are rounding: within 1e-12 of the residual's scale either way)."""
    rng = np.random.default_rng(19 + sum(shape))
    g, d = operator(rng, shape)
    b, x = rng.standard_normal(shape), rng.standard_normal(shape)
    cp, inv = np.empty(shape), np.empty(shape)
    mg.line_factors_z(*g, d, cp, inv)
    assert np.all(inv != 0.0)  # every cell has a pivot (the kernel's condition)
    mg.line_gauss_seidel_z_factored(*g, cp, inv, b, x, 1)
    cs = mg.coarse_shape(*shape, *f)
    out = np.full(cs, np.nan)
    mg.residual_restrict_line_solved(*g, d, x, b, *f, out, 1)
    r_dense = (b.reshape(-1) - sparse(g, d) @ x.reshape(-1)).reshape(shape)
    i, j, _ = np.indices(shape)
    solved = (i + j) % 2 == 1
    scale = np.abs(r_dense).sum()
    assert np.abs(r_dense[solved]).max() <= 1e-12 * np.abs(r_dense).max()
    agg = np.ravel_multi_index(tuple(ix // fa for ix, fa in zip(np.indices(shape), f)), cs).reshape(-1)
    full = np.bincount(agg, r_dense.reshape(-1), minlength=out.size)
    other = np.bincount(agg, np.where(solved, 0.0, r_dense).reshape(-1), minlength=out.size)
    np.testing.assert_allclose(out.reshape(-1), other, rtol=1e-12, atol=1e-13 * scale)
    np.testing.assert_allclose(out.reshape(-1), full, rtol=1e-12, atol=1e-12 * scale)


def test_shifted_vcycle_is_a_symmetric_positive_definite_preconditioner():
    """The shifted V-cycle (z-line smoother, the residual after the last pre-sweep on one
    colour only) is a symmetric positive definite operator M^-1: u.M^-1 v = v.M^-1 u and
    v.M^-1 v > 0 for random vectors, to rounding; PCG needs both."""
    rng = np.random.default_rng(41)
    shape = (12, 10, 16)
    g, d = operator(rng, shape, zero_frac=0.0)
    solver = MultigridSolver(*g, shift=d, n_smooth=2, scale=1.4)
    be = solver.backend
    assert be._all_active[0]  # the one-colour residual is in use
    for _ in range(3):
        u, v = rng.standard_normal(shape), rng.standard_normal(shape)
        mu, mv = np.empty(shape), np.empty(shape)
        be(u, mu)
        be(v, mv)
        a, b2 = float(np.sum(v * mu)), float(np.sum(u * mv))
        assert abs(a - b2) <= 1e-12 * np.sqrt(np.sum(u * mu) * np.sum(v * mv))
        assert np.sum(v * mv) > 0.0 and np.sum(u * mu) > 0.0
