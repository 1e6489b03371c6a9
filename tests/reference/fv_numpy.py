"""NumPy twins of the kernels in cellsim.kernels.{fv, multigrid, interface}.

Written independently with whole-array slicing (no loops over cells), for comparison on
random inputs. Same argument conventions as the kernels; results are returned.
"""

import numpy as np
import scipy.optimize
import scipy.sparse


def random_faces(rng, shape, zero_frac=0.2, decades=(-2, 4), insulated_sides=False):
    """Random face conductances [S] of a cell grid ``shape``: log-uniform over ``decades``,
    a fraction ``zero_frac`` of faces zero; ``insulated_sides``: only the z boundary faces
    carry conductance (as in a pot with a fixed-temperature top or bottom)."""
    g = []
    for a in range(3):
        fs = list(shape)
        fs[a] += 1
        ga = rng.random(fs) * 10.0 ** rng.uniform(*decades, fs)
        ga[rng.random(fs) < zero_frac] = 0.0
        if insulated_sides and a < 2:
            sl = [slice(None)] * 3
            sl[a] = [0, -1]
            ga[tuple(sl)] = 0.0
        g.append(ga)
    return g


def _pad(x, axis):
    """x with one zero layer added on both ends of ``axis``."""
    width = [(0, 0)] * 3
    width[axis] = (1, 1)
    return np.pad(x, width)


def interior_conductances(k, widths, area, axis):
    sh = [1, 1, 1]
    sh[axis] = -1
    half = 0.5 * widths.reshape(sh)
    with np.errstate(divide="ignore"):
        r = np.where(k > 0.0, half / np.where(k > 0, k, 1.0), np.inf)
    lo = np.take(r, np.arange(k.shape[axis] - 1), axis=axis)
    hi = np.take(r, np.arange(1, k.shape[axis]), axis=axis)
    inner = np.take(area, np.arange(1, k.shape[axis]), axis=axis) / (lo + hi)
    out = np.zeros(area.shape)
    idx = [slice(None)] * 3
    idx[axis] = slice(1, -1)
    out[tuple(idx)] = inner
    return out


def apply_operator(gx, gy, gz, x):
    out = np.zeros_like(x)
    for axis, g in enumerate((gx, gy, gz)):
        xp = _pad(x, axis)
        n = x.shape[axis]
        lo = np.take(xp, np.arange(0, n), axis=axis)
        hi = np.take(xp, np.arange(2, n + 2), axis=axis)
        g_lo = np.take(g, np.arange(0, n), axis=axis)
        g_hi = np.take(g, np.arange(1, n + 1), axis=axis)
        out += g_lo * (x - lo) + g_hi * (x - hi)
    return out


def csr_matrix(gx, gy, gz):
    """Sparse A built from unit-vector products of the twin operator (small grids)."""
    shape = (gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1)
    n = int(np.prod(shape))
    cols = []
    for p in range(n):
        e = np.zeros(n)
        e[p] = 1.0
        cols.append(apply_operator(gx, gy, gz, e.reshape(shape)).reshape(-1))
    a = np.array(cols).T
    a[np.arange(n), np.arange(n)] = np.where(np.diag(a) > 0, np.diag(a), 1.0)
    return scipy.sparse.csr_matrix(a)


def face_fluxes(g, x, axis):
    xp = _pad(x, axis)
    n = x.shape[axis]
    return g * (np.take(xp, np.arange(0, n + 1), axis=axis) - np.take(xp, np.arange(1, n + 2), axis=axis))


def half_cell_dissipation(flux, k, widths, area, axis):
    sh = [1, 1, 1]
    sh[axis] = -1
    n = k.shape[axis]
    with np.errstate(divide="ignore", invalid="ignore"):
        f2a = np.where(area > 0, flux**2 / np.where(area > 0, area, 1.0), 0.0)
        r = np.where(k > 0, 0.5 * widths.reshape(sh) / np.where(k > 0, k, 1.0), 0.0)
    return (np.take(f2a, np.arange(n), axis=axis) + np.take(f2a, np.arange(1, n + 1), axis=axis)) * r


def coarsen_faces(g, axis, f):
    """Galerkin coarse face conductances (sum of fine faces crossing each coarse face)."""
    out = g
    for a in range(3):
        if a == axis:
            nf = g.shape[a]
            pick = np.minimum(np.arange(0, (nf - 1 + f[a] - 1) // f[a] + 1) * f[a], nf - 1)
            out = np.take(out, pick, axis=a)
        else:
            starts = np.arange(0, out.shape[a], f[a])
            out = np.add.reduceat(out, starts, axis=a)
    return out


def restrict_sum(r, f):
    out = r
    for a in range(3):
        out = np.add.reduceat(out, np.arange(0, out.shape[a], f[a]), axis=a)
    return out


def prolong(e, f, shape):
    out = e
    for a in range(3):
        out = np.repeat(out, f[a], axis=a)
    return out[: shape[0], : shape[1], : shape[2]]


def gauss_seidel_colour(gx, gy, gz, b, x, colour):
    """Red-black half sweep: all cells of one colour depend only on the other colour."""
    i, j, m = np.indices(x.shape)
    mask = (i + j + m) % 2 == colour
    d = (gx[:-1] + gx[1:]) + (gy[:, :-1] + gy[:, 1:]) + (gz[:, :, :-1] + gz[:, :, 1:])
    off = d * x - apply_operator(gx, gy, gz, x)  # sum of g * neighbour values
    new = np.where(d > 0, (b + off) / np.where(d > 0, d, 1.0), x)
    return np.where(mask, new, x)


def bv_overpotential(j, i0, aa, ac, nf):
    """Inverse Butler-Volmer by Brent's method (scalar loop over a few values)."""
    out = np.empty_like(j)
    for p, jp in enumerate(j):
        def f(e):
            return i0[p] * (np.exp(aa[p] * nf[p] * e) - np.exp(-ac[p] * nf[p] * e)) - jp
        out[p] = scipy.optimize.brentq(f, -5.0, 5.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return out


def line_gauss_seidel_z(gx, gy, gz, b, x, colour):
    """Zebra z-line sweep: each selected column solved exactly with a dense solve."""
    n0, n1, n2 = x.shape
    out = x.copy()
    dg = (gx[:-1] + gx[1:]) + (gy[:, :-1] + gy[:, 1:]) + (gz[:, :, :-1] + gz[:, :, 1:])
    for i in range(n0):
        for j in range(n1):
            if (i + j) % 2 != colour:
                continue
            rhs = b[i, j].copy()
            if i > 0:
                rhs += gx[i, j] * x[i - 1, j]
            if i < n0 - 1:
                rhs += gx[i + 1, j] * x[i + 1, j]
            if j > 0:
                rhs += gy[i, j] * x[i, j - 1]
            if j < n1 - 1:
                rhs += gy[i, j + 1] * x[i, j + 1]
            a = np.diag(dg[i, j]) - np.diag(gz[i, j, 1:-1], 1) - np.diag(gz[i, j, 1:-1], -1)
            dead = dg[i, j] <= 0
            a[dead, :] = 0.0
            a[:, dead] = 0.0
            a[dead, dead] = 1.0
            rhs[dead] = x[i, j][dead]
            out[i, j] = np.linalg.solve(a, rhs)
    return out
