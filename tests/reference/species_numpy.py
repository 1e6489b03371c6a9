"""NumPy twins of the kernels in cellsim.kernels.species (whole-array, no loops over cells).

Same argument conventions as the kernels; results are returned. The transport matrix is
built dense from face fluxes, independently of the kernel's COO bookkeeping.
"""

import numpy as np


def bernoulli(x):
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-4
    with np.errstate(divide="ignore", invalid="ignore"):
        big = x / np.expm1(np.where(small, 1.0, x))
    return np.where(small, 1.0 - x / 2 + x**2 / 12, big)


def sg_coefficients(g, w):
    ok = g > 0.0
    pe = np.where(ok, w / np.where(ok, g, 1.0), 0.0)
    return np.where(ok, g * bernoulli(-pe), 0.0), np.where(ok, g * bernoulli(pe), 0.0)


def _pairs(index, axis):
    """(lo, hi) unknown numbers of the interior faces of ``axis`` joining two unknowns, and
    the index of those faces into the face array."""
    n = index.shape[axis]
    lo = np.take(index, np.arange(n - 1), axis=axis)
    hi = np.take(index, np.arange(1, n), axis=axis)
    sel = (lo >= 0) & (hi >= 0)
    face = list(np.nonzero(sel))
    face[axis] = face[axis] + 1
    return lo[sel], hi[sel], tuple(face)


def transport_matrix(index, coeffs, diag):
    """Dense matrix: diag + net outflow operator; coeffs = (lo_x, hi_x, lo_y, hi_y, lo_z, hi_z)."""
    n = int(index.max()) + 1
    A = np.diag(np.asarray(diag, dtype=float))
    for a in range(3):
        lo, hi, face = _pairs(index, a)
        alo, ahi = coeffs[2 * a][face], coeffs[2 * a + 1][face]
        # flux lo -> hi = alo c_lo - ahi c_hi: outflow of lo, inflow of hi
        np.add.at(A, (lo, lo), alo)
        np.add.at(A, (lo, hi), -ahi)
        np.add.at(A, (hi, lo), -alo)
        np.add.at(A, (hi, hi), ahi)
    assert A.shape == (n, n)
    return A


def net_outflow(index, coeffs, c):
    return transport_matrix(index, coeffs, np.zeros(int(index.max()) + 1)) @ c


def interface_conductance(area, half_width, diffusivity, film_resistance, S, k_metal):
    return area / (half_width / diffusivity + film_resistance + S / k_metal)


def face_flux_sum(g, S, c_metal, cell, c):
    per_face = g * (S * c_metal - c[cell])
    return per_face.sum(), per_face
