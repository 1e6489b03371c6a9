"""Kernels against their NumPy twins (tests/reference/fv_numpy.py) on random inputs, and
exact discrete properties of the operator (symmetry, M-matrix, Galerkin coarsening)."""

import numpy as np
import pytest
import scipy.sparse
from reference import fv_numpy as ref

from cellsim.kernels import fv
from cellsim.kernels import interface as kin
from cellsim.kernels import linalg as la
from cellsim.kernels import multigrid as mg
from numba import njit

pytestmark = pytest.mark.verification
SHAPES = [(5, 4, 3), (7, 1, 6), (1, 3, 2)]


@pytest.mark.parametrize("shape", SHAPES)
def test_operator_kernels_match_twins(shape):
    rng = np.random.default_rng(sum(shape))
    g = ref.random_faces(rng, shape)
    x, b = rng.standard_normal(shape), rng.standard_normal(shape)
    y = np.empty(shape)
    fv.apply_operator(*g, x, y)
    expect = ref.apply_operator(*g, x)
    np.testing.assert_allclose(y, expect, rtol=1e-13, atol=1e-13 * np.abs(expect).max())
    r = np.empty(shape)
    rr = fv.residual(*g, x, b, r)
    np.testing.assert_allclose(r, b - expect, rtol=1e-12, atol=1e-12 * np.abs(expect).max())
    assert rr == pytest.approx(np.sum((b - expect) ** 2), rel=1e-12)
    indptr, indices, data = fv.assemble_csr(*g)
    n = x.size
    a = scipy.sparse.csr_matrix((data, indices, indptr), shape=(n, n))
    np.testing.assert_allclose(a.toarray(), ref.csr_matrix(*g).toarray(), rtol=1e-13, atol=1e-12)
    for axis in range(3):
        f = np.empty(g[axis].shape)
        fv.face_fluxes(g[axis], x, axis, f)
        np.testing.assert_allclose(f, ref.face_fluxes(g[axis], x, axis), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("shape", SHAPES)
def test_conductance_and_dissipation_match_twins(shape):
    rng = np.random.default_rng(7 + sum(shape))
    k = rng.random(shape) * 10.0 ** rng.uniform(-1, 6, shape)
    k[rng.random(shape) < 0.15] = 0.0  # insulating cells
    for axis in range(3):
        widths = rng.uniform(0.5, 2.0, shape[axis])
        fs = list(shape)
        fs[axis] += 1
        area = rng.uniform(0.1, 1.0, fs)
        out = np.zeros(fs)
        fv.interior_conductances(k, widths, area, axis, out)
        np.testing.assert_allclose(out, ref.interior_conductances(k, widths, area, axis), rtol=1e-13)
        flux = rng.standard_normal(fs)
        p = np.zeros(shape)
        fv.half_cell_dissipation(flux, k, widths, area, axis, p)
        np.testing.assert_allclose(p, ref.half_cell_dissipation(flux, k, widths, area, axis), rtol=1e-13)


def test_matrix_is_symmetric_m_matrix():
    rng = np.random.default_rng(3)
    g = ref.random_faces(rng, (6, 5, 4), zero_frac=0.0)
    indptr, indices, data = fv.assemble_csr(*g)
    a = scipy.sparse.csr_matrix((data, indices, indptr), shape=(120, 120)).toarray()
    assert np.array_equal(a, a.T)
    off = a - np.diag(np.diag(a))
    assert np.all(off <= 0.0)
    assert np.all(np.diag(a) + off.sum(axis=1) >= -1e-12 * np.diag(a))  # diagonally dominant
    assert np.linalg.eigvalsh(a).min() > 0.0  # boundary faces carry conductance: definite


@pytest.mark.parametrize("shape", [(5, 4, 3), (8, 1, 7), (4, 4, 4)])
def test_multigrid_kernels_match_twins(shape):
    rng = np.random.default_rng(11 + sum(shape))
    g = ref.random_faces(rng, shape)
    f = tuple(2 if n > 1 else 1 for n in shape)
    cs = mg.coarse_shape(*shape, *f)
    for axis in range(3):
        fs = list(cs)
        fs[axis] += 1
        out = np.empty(fs)
        mg.coarsen_faces(g[axis], axis, *f, out)
        np.testing.assert_allclose(out, ref.coarsen_faces(g[axis], axis, f), rtol=1e-14)
    r = rng.standard_normal(shape)
    rc = np.empty(cs)
    mg.restrict_sum(r, *f, rc)
    np.testing.assert_allclose(rc, ref.restrict_sum(r, f), rtol=1e-13, atol=1e-14)
    x = rng.standard_normal(shape)
    e = rng.standard_normal(cs)
    x2 = x.copy()
    mg.prolong_add(e, *f, 1.5, x2)
    np.testing.assert_allclose(x2, x + 1.5 * ref.prolong(e, f, shape), rtol=1e-14)
    b = rng.standard_normal(shape)
    for colour in (0, 1):
        x3 = x.copy()
        mg.gauss_seidel_colour(*g, b, x3, colour)
        np.testing.assert_allclose(x3, ref.gauss_seidel_colour(*g, b, x, colour), rtol=1e-12, atol=1e-12)


def test_galerkin_coarse_operator_is_ptap():
    rng = np.random.default_rng(5)
    shape = (5, 4, 3)
    g = ref.random_faces(rng, shape, zero_frac=0.0)
    f = (2, 2, 2)
    cs = mg.coarse_shape(*shape, *f)
    p = np.zeros((int(np.prod(shape)), int(np.prod(cs))))
    for idx in np.ndindex(*shape):
        p[np.ravel_multi_index(idx, shape), np.ravel_multi_index(tuple(i // 2 for i in idx), cs)] = 1.0
    gc = [ref.coarsen_faces(g[a], a, f) for a in range(3)]
    np.testing.assert_allclose(mg.dense_matrix(*gc), p.T @ mg.dense_matrix(*g) @ p, rtol=1e-13, atol=1e-12)


def test_pcg_helpers_match_numpy():
    rng = np.random.default_rng(9)
    x, r, p, q = (rng.standard_normal(50) for _ in range(4))
    assert mg.dot(x, r) == pytest.approx(x @ r, rel=1e-13)
    x2, r2 = x.copy(), r.copy()
    rr = mg.cg_step(x2, r2, p, q, 0.3)
    np.testing.assert_allclose(x2, x + 0.3 * p, rtol=1e-14)
    np.testing.assert_allclose(r2, r - 0.3 * q, rtol=1e-14)
    assert rr == pytest.approx(np.sum((r - 0.3 * q) ** 2), rel=1e-13)
    p2 = p.copy()
    mg.xpby(x, 0.7, p2)
    np.testing.assert_allclose(p2, x + 0.7 * p, rtol=1e-14)


def test_butler_volmer_matches_brent():
    rng = np.random.default_rng(2)
    m = 40
    j = np.concatenate([[0.0], rng.standard_normal(m - 1) * 10.0 ** rng.uniform(0, 6, m - 1)])
    i0 = 10.0 ** rng.uniform(2, 5, m)
    aa, ac = rng.uniform(0.2, 0.8, m), rng.uniform(0.2, 0.8, m)
    nf = rng.uniform(20.0, 40.0, m)
    eta, slope = np.empty(m), np.empty(m)
    kin.bv_linearise(j, i0, aa, ac, nf, eta, slope)
    np.testing.assert_allclose(eta, ref.bv_overpotential(j, i0, aa, ac, nf), rtol=1e-12, atol=1e-15)
    h = 1e-6 * np.maximum(np.abs(j), i0)
    e_p, e_m, s_ = np.empty(m), np.empty(m), np.empty(m)
    kin.bv_linearise(j + h, i0, aa, ac, nf, e_p, s_)
    kin.bv_linearise(j - h, i0, aa, ac, nf, e_m, s_)
    np.testing.assert_allclose(slope, (e_p - e_m) / (2 * h), rtol=1e-6)
    kin.linear_linearise(j, i0, aa, ac, nf, eta, slope)
    np.testing.assert_allclose(eta, j / (i0 * (aa + ac) * nf), rtol=1e-14)


@pytest.mark.parametrize("shape", [(5, 4, 6), (6, 1, 9)])
def test_line_smoother_matches_twin(shape):
    rng = np.random.default_rng(21 + sum(shape))
    g = ref.random_faces(rng, shape, zero_frac=0.05)
    b, x = rng.standard_normal(shape), rng.standard_normal(shape)
    cp, inv = np.empty(shape), np.empty(shape)
    mg.line_factors_z(*g, np.zeros(shape), cp, inv)
    for colour in (0, 1):
        x2 = x.copy()
        mg.line_gauss_seidel_z_factored(*g, cp, inv, b, x2, colour)
        np.testing.assert_allclose(x2, ref.line_gauss_seidel_z(*g, b, x, colour), rtol=1e-9, atol=1e-9)


def test_band_cholesky_matches_numpy():
    rng = np.random.default_rng(8)
    shape = (4, 3, 5)
    g = ref.random_faces(rng, shape, zero_frac=0.0)
    a = mg.dense_matrix(*g)
    f = a.copy()
    assert mg.band_cholesky(f, shape[1] * shape[2]) == 0
    np.testing.assert_allclose(np.tril(f), np.linalg.cholesky(a), rtol=1e-10, atol=1e-12 * np.abs(a).max())
    b, x = rng.standard_normal(a.shape[0]), np.empty(a.shape[0])
    mg.band_cholesky_solve(f, shape[1] * shape[2], b, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-9)
    assert mg.band_cholesky(np.zeros((3, 3)), 1) == 1  # singular: reported, not raised


@njit(cache=False)
def _cell_by_cell(gx, gy, gz, d, x, b, r, q):
    """The shifted residual and product cell by cell (``linalg._shifted_row``, the
    definition the column kernels reorganise)."""
    n0, n1, n2 = x.shape
    rr, pq = 0.0, 0.0
    for i in range(n0):
        for j in range(n1):
            for m in range(n2):
                v = la._shifted_row(gx, gy, gz, d, x, i, j, m, n0, n1, n2)
                r[i, j, m] = b[i, j, m] - v
                rr += r[i, j, m] * r[i, j, m]
                q[i, j, m] = v
                pq += v * x[i, j, m]
    return rr, pq


@pytest.mark.parametrize("shape", SHAPES + [(4, 5, 1), (3, 6, 7), (3, 9, 5), (2, 12, 4), (2, 15, 3)])
def test_column_kernels_equal_cell_by_cell(shape):
    """shifted_residual and apply_shifted (column by column) give the numbers of the
    cell-by-cell definition bit for bit; the z-line sweep (four, two or one column at a time) those of one column at a time
    (the dense twin above checks what it solves)."""
    rng = np.random.default_rng(31 + sum(shape))
    g = ref.random_faces(rng, shape, zero_frac=0.1)
    d = np.abs(rng.standard_normal(shape))
    x, b = rng.standard_normal(shape), rng.standard_normal(shape)
    r0, q0, r1, q1 = (np.empty(shape) for _ in range(4))
    rr0, pq0 = _cell_by_cell(*g, d, x, b, r0, q0)
    rr1 = la.shifted_residual(*g, d, x, b, r1)
    pq1 = la.apply_shifted(*g, d, x, q1)
    assert np.array_equal(r0, r1) and np.array_equal(q0, q1)
    assert rr0 == rr1 and pq0 == pq1
    cp, inv = np.empty(shape), np.empty(shape)
    mg.line_factors_z(*g, d, cp, inv)
    for colour in (0, 1):
        x2, x3 = x.copy(), x.copy()
        mg.line_gauss_seidel_z_factored(*g, cp, inv, b, x2, colour)
        _one_column_at_a_time(*g, cp, inv, b, x3, colour)
        assert np.array_equal(x2, x3)


@njit(cache=False)
def _one_column_at_a_time(gx, gy, gz, cp, inv, b, x, colour):
    """The z-line sweep one column after the other, cell by cell (its definition)."""
    n0, n1, n2 = x.shape
    for i in range(n0):
        for j in range((i + colour) % 2, n1, 2):
            w = 0.0
            for m in range(n2):
                iv = inv[i, j, m]
                if iv == 0.0:
                    w = x[i, j, m]
                else:
                    rhs = b[i, j, m]
                    if i > 0:
                        rhs += gx[i, j, m] * x[i - 1, j, m]
                    if i < n0 - 1:
                        rhs += gx[i + 1, j, m] * x[i + 1, j, m]
                    if j > 0:
                        rhs += gy[i, j, m] * x[i, j - 1, m]
                    if j < n1 - 1:
                        rhs += gy[i, j + 1, m] * x[i, j + 1, m]
                    if m > 0:
                        rhs += gz[i, j, m] * w
                    w = rhs * iv
                x[i, j, m] = w
            for m in range(n2 - 2, -1, -1):
                w = x[i, j, m] - cp[i, j, m] * w
                x[i, j, m] = w


def test_prolong_without_z_coarsening():
    rng = np.random.default_rng(4)
    shape, f = (5, 4, 1), (2, 2, 1)
    e = rng.standard_normal(mg.coarse_shape(*shape, *f))
    x = rng.standard_normal(shape)
    x2 = x.copy()
    mg.prolong_add(e, *f, 1.8, x2)
    np.testing.assert_allclose(x2, x + 1.8 * ref.prolong(e, f, shape), rtol=1e-14)
