"""Species kernels against their NumPy twins (tests/reference/species_numpy.py) on random
inputs, and exact discrete properties: conservation (zero column sums), M-matrix signs,
Scharfetter-Gummel limits."""

import numpy as np
import pytest
from reference import species_numpy as ref

from cellsim.kernels import species as ks

pytestmark = pytest.mark.verification
SHAPES = [(5, 4, 3), (7, 1, 6), (1, 3, 2)]


def random_coeffs(rng, shape):
    out = []
    for a in range(3):
        fs = list(shape)
        fs[a] += 1
        g = rng.random(fs) * 10.0 ** rng.uniform(-3, 2, fs)
        g[rng.random(fs) < 0.2] = 0.0
        w = rng.standard_normal(fs) * g * 10.0 ** rng.uniform(-6, 1.5, fs)
        out.append((g, w))
    return out


def random_index(rng, shape):
    index = np.full(shape, -1, dtype=np.int64)
    live = rng.random(shape) < 0.8
    index[live] = np.arange(live.sum())
    return index


@pytest.mark.parametrize("shape", SHAPES)
def test_sg_coefficients_match_twin(shape):
    rng = np.random.default_rng(sum(shape))
    for g, w in random_coeffs(rng, shape):
        lo, hi = np.empty(g.shape), np.empty(g.shape)
        ks.sg_coefficients(g, w, lo, hi)
        elo, ehi = ref.sg_coefficients(g, w)
        np.testing.assert_allclose(lo, elo, rtol=1e-12, atol=0.0)
        np.testing.assert_allclose(hi, ehi, rtol=1e-12, atol=0.0)
        # uniform c carries exactly the drift, and both coefficients are non-negative
        np.testing.assert_allclose(lo - hi, np.where(g > 0, w, 0.0), rtol=1e-9, atol=1e-15 * np.abs(w).max())
        assert np.all(lo >= 0.0) and np.all(hi >= 0.0)


def test_bernoulli_continuous_at_series_switch():
    x = np.array([-1.0001e-4, -0.9999e-4, 0.9999e-4, 1.0001e-4, 0.0, 50.0, -50.0])
    got = np.array([ks.bernoulli(v) for v in x])
    exact = np.array([v / np.expm1(v) if v != 0 else 1.0 for v in x])
    np.testing.assert_allclose(got, exact, rtol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_assembly_matches_twin_and_conserves(shape):
    rng = np.random.default_rng(7 + sum(shape))
    index = random_index(rng, shape)
    n = int(index.max()) + 1
    coeffs = []
    for g, w in random_coeffs(rng, shape):
        lo, hi = np.empty(g.shape), np.empty(g.shape)
        ks.sg_coefficients(g, w, lo, hi)
        coeffs += [lo, hi]
    diag = rng.random(n)
    bw = int(ks.band_width(index))
    band = np.empty((n, 2 * bw + 1))
    ks.assemble_band(index, *coeffs, diag, bw, band)
    A = np.zeros((n, n))
    p, offset = np.nonzero(band)
    A[p, p + offset - bw] = band[p, offset]
    expect = ref.transport_matrix(index, coeffs, diag)
    np.testing.assert_allclose(A, expect, rtol=1e-13, atol=1e-13 * np.abs(expect).max())
    # conservation: columns sum to the extra diagonal; M-matrix sign pattern
    np.testing.assert_allclose(A.sum(axis=0), diag, rtol=0, atol=1e-12 * np.abs(expect).max())
    off = A - np.diag(np.diag(A))
    assert np.all(off <= 0.0)
    c = rng.random(n)
    out = np.empty(n)
    ks.net_outflow(index, *coeffs, c, out)
    np.testing.assert_allclose(out, ref.net_outflow(index, coeffs, c), rtol=1e-12,
                               atol=1e-12 * np.abs(expect).max())
    assert abs(out.sum()) <= 1e-13 * np.abs(out).sum()


def test_interface_kernels_match_twins():
    rng = np.random.default_rng(3)
    m = 17
    area, half = rng.random(m), rng.random(m) * 1e-2
    S = 10.0 ** rng.uniform(-12, 5, m)
    for film in (0.0, 1e4):
        g = np.empty(m)
        ks.interface_conductance(area, half, 2e-4, film, S, 1e-4, g)
        np.testing.assert_allclose(g, ref.interface_conductance(area, half, 2e-4, film, S, 1e-4), rtol=1e-14)
    cell = rng.integers(0, 5, m)
    c = rng.random(5)
    per_face = np.empty(m)
    total = ks.face_flux_sum(g, S, 3.0, cell, c, per_face)
    etotal, eper = ref.face_flux_sum(g, S, 3.0, cell, c)
    np.testing.assert_allclose(per_face, eper, rtol=1e-13, atol=1e-300)
    assert total == pytest.approx(etotal, rel=1e-12)


def test_sg_exact_for_steady_1d_drift_diffusion():
    """Between two cell centres with constant v and D, the SG flux is the exact flux of
    c(x) = a + b exp(v x / D) (which carries the constant flux v a)."""
    D, v, h, a, b = 2e-3, 0.05, 0.1, 1.3, 0.7
    c_lo, c_hi = a + b, a + b * np.exp(v * h / D)
    lo, hi = np.empty((1, 1, 1)), np.empty((1, 1, 1))
    ks.sg_coefficients(np.full((1, 1, 1), D / h), np.full((1, 1, 1), v), lo, hi)
    assert lo[0, 0, 0] * c_lo - hi[0, 0, 0] * c_hi == pytest.approx(v * a, rel=1e-12)
