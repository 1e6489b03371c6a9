"""Building blocks of a cell-centred aggregation multigrid and of PCG (tier 2).

Coarsening merges up to 2 cells per axis (``f_a`` = 1 or 2; a trailing odd cell forms an
aggregate of one). With piecewise-constant prolongation P, the Galerkin operator P^T A P
of the conductance operator of kernels.fv is again a conductance operator whose face
conductances are the sums of the fine conductances crossing each coarse face, so
coefficient jumps of any size are carried to the coarse grids exactly (no averaging of
sigma). Shapes follow kernels.fv: cell arrays (n0, n1, n2), face arrays (n_a + 1 along a).
"""

import numpy as np
from numba import njit, prange


from .linalg import _column, _shifted_column
from .linalg import cg_step, dot, xpby  # noqa: F401  (PCG building blocks, kept importable here)


@njit(cache=True, nogil=True)
def coarse_shape(n0, n1, n2, f0, f1, f2):
    """Coarse cell counts for aggregation factors f_a in {1, 2}."""
    return (n0 + f0 - 1) // f0, (n1 + f1 - 1) // f1, (n2 + f2 - 1) // f2


@njit(parallel=True, cache=True, nogil=True)
def coarsen_faces(g, axis, f0, f1, f2, out):
    """Galerkin face conductances of one axis: sums of fine faces crossing coarse faces.

    g : fine face array of ``axis`` [S]; out : coarse face array of ``axis`` [S].
    """
    c0, c1, c2 = out.shape
    n0, n1, n2 = g.shape
    e0, e1, e2 = int(axis == 0), int(axis == 1), int(axis == 2)
    for I in prange(c0):
        for J in range(c1):
            for M in range(c2):
                # along the face normal take the one fine face at the coarse position
                i_lo = min(I * f0, n0 - 1) if e0 else I * f0
                i_hi = i_lo + 1 if e0 else min(I * f0 + f0, n0)
                j_lo = min(J * f1, n1 - 1) if e1 else J * f1
                j_hi = j_lo + 1 if e1 else min(J * f1 + f1, n1)
                m_lo = min(M * f2, n2 - 1) if e2 else M * f2
                m_hi = m_lo + 1 if e2 else min(M * f2 + f2, n2)
                s = 0.0
                for i in range(i_lo, i_hi):
                    for j in range(j_lo, j_hi):
                        for m in range(m_lo, m_hi):
                            s += g[i, j, m]
                out[I, J, M] = s


@njit(parallel=True, cache=True, nogil=True)
def restrict_sum(r, f0, f1, f2, out):
    """out[I] = sum of r over the fine cells of aggregate I (P^T r). r [A], out [A]."""
    c0, c1, c2 = out.shape
    n0, n1, n2 = r.shape
    for I in prange(c0):
        for J in range(c1):
            for M in range(c2):
                s = 0.0
                for i in range(I * f0, min(I * f0 + f0, n0)):
                    for j in range(J * f1, min(J * f1 + f1, n1)):
                        for m in range(M * f2, min(M * f2 + f2, n2)):
                            s += r[i, j, m]
                out[I, J, M] = s


@njit(inline="always", cache=True)
def _add_column(b, s, o, i, j, n2, f2):
    """Add the residual b - s of column (i, j) to its aggregates' row o, in restrict_sum's
    order (m ascending; with f2 == 2 the pair of each aggregate in a register)."""
    if f2 == 1:
        for m in range(n2):
            o[m] += b[i, j, m] - s[m]
    else:
        for cm in range(n2 >> 1):
            v = o[cm] + (b[i, j, 2 * cm] - s[2 * cm])
            o[cm] = v + (b[i, j, 2 * cm + 1] - s[2 * cm + 1])
        if n2 & 1:
            o[n2 >> 1] += b[i, j, n2 - 1] - s[n2 - 1]


@njit(parallel=True, cache=True, nogil=True)
def residual_restrict(gx, gy, gz, d, x, b, f0, f1, f2, out):
    """out = P^T (b - (A + diag d) x): the residual restricted to the aggregates, without
    the fine residual array and its sum of squares (what the V-cycle needs of it).

    The same numbers bit for bit as ``linalg.shifted_residual`` followed by
    ``restrict_sum``: each fine residual is that kernel's (``_shifted_column``), and each
    aggregate adds its cells in restrict_sum's order (i, then j, then m) from 0. Arguments
    as there; out has the coarse shape of ``coarse_shape``. f0, f1 in {1, 2}; f2 in {1, 2}.
    """
    for ci in prange(out.shape[0]):
        _restrict_plane(gx, gy, gz, d, True, x, b, f0, f1, f2, out, ci, -1)


@njit(parallel=True, cache=True, nogil=True)
def residual_restrict_line_solved(gx, gy, gz, d, x, b, f0, f1, f2, out, colour):
    """``residual_restrict`` after a z-line half sweep of ``colour`` (``line_gauss_seidel_z_
    factored``): the columns of that colour, (i + j) % 2 == colour, were just solved exactly
    with their x/y neighbours as they are, so their residual is 0 up to rounding (1e-13 of
    the other colour's on the default 3D pot) and is taken as 0: only the other columns are
    computed and added, in ``residual_restrict``'s order. Valid only when every cell of the
    level is active (no zero pivot: ``line_factors_z``'s inv != 0 everywhere)."""
    for ci in prange(out.shape[0]):
        _restrict_plane(gx, gy, gz, d, True, x, b, f0, f1, f2, out, ci, colour)


@njit(parallel=True, cache=True, nogil=True)
def residual_restrict_unshifted(gx, gy, gz, x, b, f0, f1, f2, out):
    """out = P^T (b - A x), ``residual_restrict`` without a shift (the current's operator):
    the same numbers bit for bit as ``fv.residual`` followed by ``restrict_sum`` (each fine
    residual has ``fv._row``'s terms in its order, through ``linalg._column``)."""
    for ci in prange(out.shape[0]):
        _restrict_plane(gx, gy, gz, x, False, x, b, f0, f1, f2, out, ci, -1)


@njit(inline="always", cache=True)
def _restrict_plane(gx, gy, gz, d, shifted, x, b, f0, f1, f2, out, ci, skip):
    """The coarse plane ci of ``residual_restrict`` (shifted: each fine column through
    ``_shifted_column`` with the shift d) or of ``residual_restrict_unshifted`` (through
    ``_column``; d unused); the columns with (i + j) % 2 == skip are left out (skip = -1:
    none; ``residual_restrict_line_solved``)."""
    n0, n1, n2 = x.shape
    c1, c2 = out.shape[1], out.shape[2]
    s = np.empty(n2)
    for cj in range(c1):
        o = out[ci, cj]
        for cm in range(c2):
            o[cm] = 0.0
        for i in range(ci * f0, min(ci * f0 + f0, n0)):
            for j in range(cj * f1, min(cj * f1 + f1, n1)):
                if (i + j) % 2 == skip:
                    continue
                if shifted:
                    _shifted_column(gx, gy, gz, d, x, i, j, n0, n1, n2, s)
                else:
                    _column(gx, gy, gz, x, i, j, n0, n1, n2, s)
                _add_column(b, s, o, i, j, n2, f2)


@njit(parallel=True, cache=True, nogil=True)
def prolong_add(e, f0, f1, f2, scale, x):
    """x += scale * P e: add each coarse value to the fine cells of its aggregate [V].
    f2 is 1 or 2 (``coarse_shape``)."""
    n0, n1, n2 = x.shape
    for i in prange(n0):
        ci = i // f0
        for j in range(n1):
            cj = j // f1
            if f2 == 1:
                for m in range(n2):
                    x[i, j, m] += scale * e[ci, cj, m]
            else:  # the aggregate index of each fine cell, without a division per cell
                for m in range(n2):
                    x[i, j, m] += scale * e[ci, cj, m >> 1]


@njit(inline="always", cache=True)
def _add_xy_neighbours(s, gx, gy, x, i, j, m):
    """s plus the x and y neighbours' terms g x of cell (i, j, m), added in a fixed order
    (the point and the z-line Gauss-Seidel updates share it)."""
    n0, n1 = x.shape[0], x.shape[1]
    if i > 0:
        s += gx[i, j, m] * x[i - 1, j, m]
    if i < n0 - 1:
        s += gx[i + 1, j, m] * x[i + 1, j, m]
    if j > 0:
        s += gy[i, j, m] * x[i, j - 1, m]
    if j < n1 - 1:
        s += gy[i, j + 1, m] * x[i, j + 1, m]
    return s


@njit(inline="always", cache=True)
def _point_update(gx, gy, gz, shift, b, x, i, j, m):
    """Gauss-Seidel update of cell (i, j, m) for A + shift on its diagonal (cells with no
    conductance and no shift are left unchanged)."""
    n0, n1, n2 = x.shape
    d = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] + gz[i, j, m] + gz[i, j, m + 1] + shift
    if d <= 0.0:
        return
    s = _add_xy_neighbours(b[i, j, m], gx, gy, x, i, j, m)
    if m > 0:
        s += gz[i, j, m] * x[i, j, m - 1]
    if m < n2 - 1:
        s += gz[i, j, m + 1] * x[i, j, m + 1]
    x[i, j, m] = s / d


@njit(parallel=True, cache=True, nogil=True)
def gauss_seidel_colour(gx, gy, gz, b, x, colour):
    """One red-black Gauss-Seidel half sweep: update cells with (i+j+m) % 2 == colour.

    gx, gy, gz : face conductances [S]; b : right-hand side [A]; x : iterate [V], updated
    in place. Cells with zero total conductance are left unchanged.
    """
    n0, n1, n2 = x.shape
    for i in prange(n0):
        for j in range(n1):
            for m in range((i + j + colour) % 2, n2, 2):
                _point_update(gx, gy, gz, 0.0, b, x, i, j, m)


@njit(cache=True, nogil=True)
def dense_matrix(gx, gy, gz):
    """Dense A (C-ordered cells) for the coarsest level [S]; decoupled cells get A_pp = 1."""
    n0, n1, n2 = gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1
    n = n0 * n1 * n2
    a = np.zeros((n, n))
    s1, s0 = n2, n1 * n2
    for i in range(n0):
        for j in range(n1):
            for m in range(n2):
                p = i * s0 + j * s1 + m
                d = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] + gz[i, j, m] + gz[i, j, m + 1]
                a[p, p] = d if d > 0.0 else 1.0
                if i < n0 - 1:
                    a[p, p + s0] = a[p + s0, p] = -gx[i + 1, j, m]
                if j < n1 - 1:
                    a[p, p + s1] = a[p + s1, p] = -gy[i, j + 1, m]
                if m < n2 - 1:
                    a[p, p + 1] = a[p + 1, p] = -gz[i, j, m + 1]
    return a


@njit(cache=True, nogil=True)
def band_cholesky(a, bw):
    """In-place Cholesky factor (lower triangle) of an SPD matrix of half-bandwidth ``bw``.

    a : (n, n) float64, overwritten in its lower band by L (A = L L^T). Avoids BLAS, whose
    thread pool competes with the kernels' threads on small coarse-grid matrices.
    Returns 0, or k + 1 if the k-th pivot is not positive (singular: no fixed potential).
    """
    n = a.shape[0]
    for j in range(n):
        s = a[j, j]
        for k in range(max(0, j - bw), j):
            s -= a[j, k] * a[j, k]
        if not s > 0.0:
            return j + 1
        d = np.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, min(n, j + bw + 1)):
            s = a[i, j]
            for k in range(max(0, i - bw), j):
                s -= a[i, k] * a[j, k]
            a[i, j] = s / d
    return 0


@njit(cache=True, nogil=True)
def band_cholesky_solve(lo, bw, b, x):
    """Solve L L^T x = b with the factor of ``band_cholesky``; b, x : (n,) float64."""
    n = b.size
    for i in range(n):
        s = b[i]
        for k in range(max(0, i - bw), i):
            s -= lo[i, k] * x[k]
        x[i] = s / lo[i, i]
    for i in range(n - 1, -1, -1):
        s = x[i]
        for k in range(i + 1, min(n, i + bw + 1)):
            s -= lo[k, i] * x[k]
        x[i] = s / lo[i, i]


# -- shifted operator A + diag(d) (d >= 0 per cell, e.g. a backward-Euler mass term) -----
# P^T diag(d) P of the piecewise-constant prolongation is diag(sum of d over the aggregate),
# so ``restrict_sum`` coarsens d exactly and every level keeps the form A + diag(d).


@njit(parallel=True, cache=True, nogil=True)
def gauss_seidel_colour_shifted(gx, gy, gz, d, b, x, colour):
    """``gauss_seidel_colour`` for A + diag(d); d (n0, n1, n2) [S], other arguments as there."""
    n0, n1, n2 = x.shape
    for i in prange(n0):
        for j in range(n1):
            for m in range((i + j + colour) % 2, n2, 2):
                _point_update(gx, gy, gz, d[i, j, m], b, x, i, j, m)


# -- z-line solves with precomputed Thomas factors -----------------------------------------


@njit(parallel=True, cache=True, nogil=True)
def line_factors_z(gx, gy, gz, d, cp, inv):
    """Thomas factors of each z column of A + diag d [S]: inv = 1/pivot, cp = upper/pivot
    (cell arrays; pass d = 0 for A alone). Computed once per operator, they take the
    divisions out of the line solves (``line_gauss_seidel_z_factored``).

    Inactive cells (zero diagonal: all their faces are zero) get inv = cp = 0.
    """
    n0, n1, n2 = d.shape
    for i in prange(n0):
        for j in range(n1):
            c_prev = 0.0
            for m in range(n2):
                s = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] \
                    + gz[i, j, m] + gz[i, j, m + 1] + d[i, j, m]
                lo = gz[i, j, m] if m > 0 else 0.0
                up = gz[i, j, m + 1] if m < n2 - 1 else 0.0
                den = s + lo * c_prev  # lo c_prev = -(gz_m)^2 / previous pivot
                if s > 0.0 and den > 0.0:
                    iv = 1.0 / den
                    c_prev = -up * iv  # cp = (-up) / den
                else:
                    iv = 0.0
                    c_prev = 0.0
                inv[i, j, m] = iv
                cp[i, j, m] = c_prev



@njit(inline="always", cache=True)
def _line_rhs(gx, gy, b, x, i, j, n0, n1, n2, rhs):
    """rhs[m] = b + the x and y neighbours' terms of the z column (i, j) (no z coupling),
    each cell's terms in the order of ``_add_xy_neighbours``."""
    for m in range(n2):
        rhs[m] = b[i, j, m]
    if i > 0:
        for m in range(n2):
            rhs[m] += gx[i, j, m] * x[i - 1, j, m]
    if i < n0 - 1:
        for m in range(n2):
            rhs[m] += gx[i + 1, j, m] * x[i + 1, j, m]
    if j > 0:
        for m in range(n2):
            rhs[m] += gy[i, j, m] * x[i, j - 1, m]
    if j < n1 - 1:
        for m in range(n2):
            rhs[m] += gy[i, j + 1, m] * x[i, j + 1, m]


@njit(inline="always", cache=True)
def _line_forward(gz, inv, x, i, j, m, rhs, w):
    """One step of the Thomas forward sweep: the new w at (i, j, m) (written to x)."""
    iv = inv[i, j, m]
    if iv == 0.0:
        w = x[i, j, m]
    else:
        r = rhs[m]
        if m > 0:
            r += gz[i, j, m] * w
        w = r * iv
    x[i, j, m] = w
    return w


@njit(inline="always", cache=True)
def _line_backward(cp, x, i, j, m, w):
    """One step of the Thomas back substitution: the new w at (i, j, m) (written to x)."""
    w = x[i, j, m] - cp[i, j, m] * w
    x[i, j, m] = w
    return w


@njit(parallel=True, cache=True, nogil=True)
def line_gauss_seidel_z_factored(gx, gy, gz, cp, inv, b, x, colour):
    """Symmetric-colour z-line Gauss-Seidel sweep for A + diag d (d = 0: A alone).

    Every z column of colour ``(i + j) % 2 == colour`` is solved exactly (Thomas algorithm)
    with its x/y neighbours from the current iterate: point smoothers fail on the flat cells
    of pot meshes (dz << dx). The factors come from ``line_factors_z``, computed once per
    operator, so the sweep has no division and no diagonal sums. gx, gy, gz [S]; b [A];
    x [V] updated in place. Inactive cells (inv = 0) keep their value.

    Columns of one colour do not read each other, so four of them (j, j + 2, j + 4, j + 6;
    two or one at the end of a row) are swept together: their Thomas recurrences, each a
    chain of dependent multiply-adds, overlap (four against two: 10 % less time on the
    default 3D pot's finest grid). Every column's operations are those of a column alone
    (the same numbers bit for bit).
    """
    n0, n1, n2 = x.shape
    for i in prange(n0):
        ra = np.empty(n2)
        rb = np.empty(n2)
        rc = np.empty(n2)
        rd = np.empty(n2)
        _sweep_row(gx, gy, gz, cp, inv, b, x, i, colour, False, False, ra, rb, rc, rd)


@njit(inline="always", cache=True)
def _zero_rhs(b, i, j, n2, plus_zero, rhs):
    """``_line_rhs`` of a column whose x/y neighbours are 0: b, plus 0.0 if it has any (as
    there: -0.0 in b becomes +0.0)."""
    if plus_zero:
        for m in range(n2):
            rhs[m] = b[i, j, m] + 0.0
    else:
        for m in range(n2):
            rhs[m] = b[i, j, m]


@njit(inline="always", cache=True)
def _column_rhs(gx, gy, b, x, i, j, n0, n1, n2, from_zero, plus_zero, rhs):
    """A column's right-hand side: ``_line_rhs``, or ``_zero_rhs`` when x is 0 (from_zero)."""
    if from_zero:
        _zero_rhs(b, i, j, n2, plus_zero, rhs)
    else:
        _line_rhs(gx, gy, b, x, i, j, n0, n1, n2, rhs)


@njit(inline="always", cache=True)
def _sweep_row(gx, gy, gz, cp, inv, b, x, i, colour, from_zero, plus_zero, ra, rb, rc, rd):
    """Row i of a z-line half sweep of ``colour``: each column's Thomas solve, four columns
    at a time (j, j + 2, j + 4, j + 6; two or one at the end of the row), their recurrences
    overlapping; every column's operations are those of a column alone. ``from_zero`` (a
    constant of the calling kernel, folded when inlined): the right-hand side is b alone
    (``line_gauss_seidel_z_from_zero``), else b with the x/y neighbours' terms."""
    n0, n1, n2 = x.shape
    j = (i + colour) % 2
    while j < n1:
        if j + 6 < n1:
            jb, jc, jd = j + 2, j + 4, j + 6
            _column_rhs(gx, gy, b, x, i, j, n0, n1, n2, from_zero, plus_zero, ra)
            _column_rhs(gx, gy, b, x, i, jb, n0, n1, n2, from_zero, plus_zero, rb)
            _column_rhs(gx, gy, b, x, i, jc, n0, n1, n2, from_zero, plus_zero, rc)
            _column_rhs(gx, gy, b, x, i, jd, n0, n1, n2, from_zero, plus_zero, rd)
            wa = 0.0
            wb = 0.0
            wc = 0.0
            wd = 0.0
            for m in range(n2):
                wa = _line_forward(gz, inv, x, i, j, m, ra, wa)
                wb = _line_forward(gz, inv, x, i, jb, m, rb, wb)
                wc = _line_forward(gz, inv, x, i, jc, m, rc, wc)
                wd = _line_forward(gz, inv, x, i, jd, m, rd, wd)
            for m in range(n2 - 2, -1, -1):
                wa = _line_backward(cp, x, i, j, m, wa)
                wb = _line_backward(cp, x, i, jb, m, wb)
                wc = _line_backward(cp, x, i, jc, m, wc)
                wd = _line_backward(cp, x, i, jd, m, wd)
            j += 8
        elif j + 2 < n1:
            k = j + 2
            _column_rhs(gx, gy, b, x, i, j, n0, n1, n2, from_zero, plus_zero, ra)
            _column_rhs(gx, gy, b, x, i, k, n0, n1, n2, from_zero, plus_zero, rb)
            wa = 0.0
            wb = 0.0
            for m in range(n2):
                wa = _line_forward(gz, inv, x, i, j, m, ra, wa)
                wb = _line_forward(gz, inv, x, i, k, m, rb, wb)
            for m in range(n2 - 2, -1, -1):
                wa = _line_backward(cp, x, i, j, m, wa)
                wb = _line_backward(cp, x, i, k, m, wb)
            j += 4
        else:
            _column_rhs(gx, gy, b, x, i, j, n0, n1, n2, from_zero, plus_zero, ra)
            w = 0.0
            for m in range(n2):
                w = _line_forward(gz, inv, x, i, j, m, ra, w)
            for m in range(n2 - 2, -1, -1):
                w = _line_backward(cp, x, i, j, m, w)
            j += 2


@njit(parallel=True, cache=True, nogil=True)
def line_gauss_seidel_z_from_zero(gz, cp, inv, b, x, colour):
    """``line_gauss_seidel_z_factored`` from x = 0, writing every cell of x (no fill first).

    With x = 0 every x/y neighbour term of a column is 0 (conductances are >= 0), so each
    column of colour ``colour`` is its Thomas solve of b alone (no neighbour reads) and every
    other cell is 0: the same numbers bit for bit as filling x with 0 and sweeping (the same
    recurrences, four columns at a time). The first half sweep of each level of a V-cycle,
    whose correction starts at 0. gz [S]; cp, inv from ``line_factors_z``; b [A]; x [V]
    (written).
    """
    n0, n1, n2 = x.shape
    plus_zero = n0 > 1 or n1 > 1  # a neighbour term (+0.0) is added there
    for i in prange(n0):
        ra = np.empty(n2)
        rb = np.empty(n2)
        rc = np.empty(n2)
        rd = np.empty(n2)
        for j in range(n1):  # the plane from 0 (inactive cells keep it, the other colour too)
            for m in range(n2):
                x[i, j, m] = 0.0
        _sweep_row(gz, gz, gz, cp, inv, b, x, i, colour, True, plus_zero, ra, rb, rc, rd)
