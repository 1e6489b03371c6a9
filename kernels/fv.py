"""Cell-centred finite-volume diffusion operator on structured grids (tier 1 and 2).

The operator is div(k grad u) for any cell-wise coefficient k (electrical conductivity
sigma [S/m] for the current, thermal conductivity [W/(m K)] for heat, an effective
diffusivity for species). Every grid has three axes; a 2D r-z grid is the 3D layout with
one azimuthal cell (shape (nr, 1, nz)), so the same kernels serve both geometries.

Storage: per axis a face-conductance array ``g_a`` of face shape (n_a + 1 along axis a)
[S] (= [A/V]; [W/K] for heat). Interior faces hold the series (harmonic) conductance of
the two half cells; boundary faces hold the conductance between the cell centre and the
boundary value (0 for a prescribed flux). The discrete operator is

    (A u)_P = sum over the faces f of P of g_f (u_P - u_N(f)),   u_N = 0 outside,

so A is symmetric, positive (semi)definite, and A u = b with b [A] = volumetric source
times volume + g_f u_b on Dirichlet/Robin faces + inflow on flux faces. Sign rule (one for
all fields): a flux is positive along +axis; a prescribed boundary flux q_a [A/m2] enters
the domain through a low face (+q A) and leaves through a high face (-q A).
"""

import numpy as np
from numba import njit, prange



@njit(inline="always", cache=True)
def series_conductance(area, d_lo, k_lo, d_hi, k_hi):
    """Conductance [S] of two half cells in series: area / (d_lo/k_lo + d_hi/k_hi).

    area [m2], d_* centre-to-face distances [m], k_* coefficients [S/m]. A non-positive
    coefficient on either side (insulator, inactive cell) gives 0.
    """
    if k_lo <= 0.0 or k_hi <= 0.0:
        return 0.0
    return area / (d_lo / k_lo + d_hi / k_hi)


@njit(cache=True, nogil=True)
def interior_conductances(k, widths, area, axis, out):
    """Harmonic-mean face conductances on the interior faces of one axis.

    k : (n0, n1, n2) float64 cell coefficient [S/m].
    widths : (n_axis,) float64 cell widths along ``axis`` [m].
    area : face-shape float64 face areas of ``axis`` [m2].
    axis : 0, 1 or 2.
    out : face-shape float64 [S]; interior faces written, boundary faces left untouched.
    """
    n0, n1, n2 = k.shape
    e0, e1, e2 = int(axis == 0), int(axis == 1), int(axis == 2)
    for i in range(e0, n0):
        for j in range(e1, n1):
            for m in range(e2, n2):
                a = i * e0 + j * e1 + m * e2
                out[i, j, m] = series_conductance(
                    area[i, j, m], 0.5 * widths[a - 1], k[i - e0, j - e1, m - e2],
                    0.5 * widths[a], k[i, j, m])


@njit(inline="always", cache=True)
def _row(gx, gy, gz, x, i, j, m, n0, n1, n2):
    """(A x) at cell (i, j, m); neighbours outside the grid count as 0."""
    diag = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] + gz[i, j, m] + gz[i, j, m + 1]
    s = diag * x[i, j, m]
    if i > 0:
        s -= gx[i, j, m] * x[i - 1, j, m]
    if i < n0 - 1:
        s -= gx[i + 1, j, m] * x[i + 1, j, m]
    if j > 0:
        s -= gy[i, j, m] * x[i, j - 1, m]
    if j < n1 - 1:
        s -= gy[i, j + 1, m] * x[i, j + 1, m]
    if m > 0:
        s -= gz[i, j, m] * x[i, j, m - 1]
    if m < n2 - 1:
        s -= gz[i, j, m + 1] * x[i, j, m + 1]
    return s


@njit(parallel=True, cache=True, nogil=True)
def apply_operator(gx, gy, gz, x, out):
    """out = A x for the 7-point (5-point when n1 == 1) conductance operator.

    gx (n0+1, n1, n2), gy (n0, n1+1, n2), gz (n0, n1, n2+1) float64 [S];
    x (n0, n1, n2) float64 [V]; out (n0, n1, n2) float64 [A] (net outflow per cell).
    """
    n0, n1, n2 = x.shape
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                out[i, j, m] = _row(gx, gy, gz, x, i, j, m, n0, n1, n2)


@njit(parallel=True, cache=True, nogil=True)
def residual(gx, gy, gz, x, b, out):
    """out = b - A x [A]; returns sum(out**2) [A2]. Shapes as in ``apply_operator``."""
    n0, n1, n2 = x.shape
    acc = 0.0
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                r = b[i, j, m] - _row(gx, gy, gz, x, i, j, m, n0, n1, n2)
                out[i, j, m] = r
                acc += r * r
    return acc


@njit(inline="always", cache=True)
def _push(ok, g, col, indices, data, nnz):
    """Append the off-diagonal entry -g at column ``col`` if ``ok`` and g != 0."""
    if ok and g != 0.0:
        indices[nnz] = col
        data[nnz] = -g
        return nnz + 1
    return nnz


@njit(cache=True, nogil=True)
def assemble_csr(gx, gy, gz):
    """CSR arrays of A (rows in C order of the cells), column indices sorted per row.

    Returns (indptr int64 (N+1,), indices int64 (nnz,), data float64 (nnz,) [S]).
    Structurally zero couplings (g = 0) are skipped; a cell with no coupling at all gets a
    unit diagonal so that the matrix stays non-singular (its right-hand side must be 0).
    """
    n0, n1, n2 = gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1
    n = n0 * n1 * n2
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(7 * n, dtype=np.int64)
    data = np.empty(7 * n, dtype=np.float64)
    s1, s0 = n2, n1 * n2
    nnz = 0
    for i in range(n0):
        for j in range(n1):
            for m in range(n2):
                p = i * s0 + j * s1 + m
                diag = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] + gz[i, j, m] + gz[i, j, m + 1]
                nnz = _push(i > 0, gx[i, j, m], p - s0, indices, data, nnz)
                nnz = _push(j > 0, gy[i, j, m], p - s1, indices, data, nnz)
                nnz = _push(m > 0, gz[i, j, m], p - 1, indices, data, nnz)
                indices[nnz], data[nnz] = p, diag if diag > 0.0 else 1.0
                nnz += 1
                nnz = _push(m < n2 - 1, gz[i, j, m + 1], p + 1, indices, data, nnz)
                nnz = _push(j < n1 - 1, gy[i, j + 1, m], p + s1, indices, data, nnz)
                nnz = _push(i < n0 - 1, gx[i + 1, j, m], p + s0, indices, data, nnz)
                indptr[p + 1] = nnz
    return indptr, indices[:nnz].copy(), data[:nnz].copy()


@njit(cache=True, nogil=True)
def face_fluxes(g, x, axis, out):
    """Flux through every face of one axis along +axis [A]: g (u_lo - u_hi), u = 0 outside.

    g : face-shape float64 [S]; x : (n0, n1, n2) float64 [V]; out : face-shape float64 [A].
    On boundary faces the outside value is 0: the caller adds the boundary-value part
    (+g u_b on a low face, -g u_b on a high face) and any prescribed flux.
    """
    n0, n1, n2 = x.shape
    e0, e1, e2 = int(axis == 0), int(axis == 1), int(axis == 2)
    f0, f1, f2 = out.shape
    for i in range(f0):
        for j in range(f1):
            for m in range(f2):
                a = i * e0 + j * e1 + m * e2
                na = n0 * e0 + n1 * e1 + n2 * e2
                lo = x[i - e0, j - e1, m - e2] if a > 0 else 0.0
                hi = x[i, j, m] if a < na else 0.0
                out[i, j, m] = g[i, j, m] * (lo - hi)


@njit(cache=True, nogil=True)
def half_cell_dissipation(flux, k, widths, area, axis, out):
    """Add to each cell the dissipation of the face fluxes in its half cells [W].

    For every face of ``axis`` the flux F [A] crosses the half cell of each adjacent cell
    with resistance (w/2)/(k A) [ohm]; that cell receives F^2 (w/2)/(k A). Boundary faces
    count only their inner half cell. flux : face-shape [A]; k : cell coefficient [S/m];
    widths : (n_axis,) [m]; area : face-shape [m2]; out : (n0, n1, n2) [W], accumulated.
    Cells with k <= 0 (insulators) receive nothing (they carry no flux).
    """
    n0, n1, n2 = k.shape
    e0, e1, e2 = int(axis == 0), int(axis == 1), int(axis == 2)
    na = n0 * e0 + n1 * e1 + n2 * e2
    f0, f1, f2 = flux.shape
    for i in range(f0):
        for j in range(f1):
            for m in range(f2):
                a = i * e0 + j * e1 + m * e2
                ar = area[i, j, m]
                if ar <= 0.0:
                    continue
                f2a = flux[i, j, m] * flux[i, j, m] / ar
                if a > 0:
                    kl = k[i - e0, j - e1, m - e2]
                    if kl > 0.0:
                        out[i - e0, j - e1, m - e2] += f2a * 0.5 * widths[a - 1] / kl
                if a < na:
                    kh = k[i, j, m]
                    if kh > 0.0:
                        out[i, j, m] += f2a * 0.5 * widths[a] / kh
