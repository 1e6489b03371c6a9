"""The linear-algebra kernels of cellsim (tier 2): the operator of every field solve and
the vector operations of its preconditioned conjugate gradients.

The operator is the conductance matrix A of kernels.fv (face conductances gx (n0+1, n1, n2),
gy (n0, n1+1, n2), gz (n0, n1, n2+1) [S or W/K]; neighbours outside the grid or behind a
zero conductance are not coupled) plus a diagonal shift d >= 0 per cell (e.g. the
backward-Euler mass term of a heat step). Vector kernels take 1D float64 views
(``a.reshape(-1)``: reshaping inside a parallel kernel may copy). The solver layer using
them is cellsim.fields.solvers.
"""

import numpy as np
from numba import njit, prange

from .parallel import ByThreads

from .fv import _row


@njit(parallel=True, cache=True, nogil=True)
def dot(fa, fb):
    """Sum of fa * fb; 1D float64 views (``a.reshape(-1)``; reshaping inside a parallel
    kernel may copy)."""
    s = 0.0
    for p in prange(fa.size):
        s += fa[p] * fb[p]
    return s


@njit(parallel=True, cache=True, nogil=True)
def cg_step(fx, fr, fp, fq, alpha):
    """x += alpha p; r -= alpha q; returns the new r.r (fused PCG update); 1D views."""
    s = 0.0
    for k in prange(fx.size):
        fx[k] += alpha * fp[k]
        rk = fr[k] - alpha * fq[k]
        fr[k] = rk
        s += rk * rk
    return s


@njit(parallel=True, cache=True, nogil=True)
def xpby(fz, beta, fp):
    """p = z + beta p (PCG search direction update); 1D views."""
    for k in prange(fz.size):
        fp[k] = fz[k] + beta * fp[k]


@njit(inline="always", cache=True)
def _shifted_row(gx, gy, gz, d, x, i, j, m, n0, n1, n2):
    """((A + diag d) x) at cell (i, j, m) [W]; neighbours outside the grid count as 0."""
    return d[i, j, m] * x[i, j, m] + _row(gx, gy, gz, x, i, j, m, n0, n1, n2)


@njit(inline="always", cache=True)
def _column(gx, gy, gz, x, i, j, n0, n1, n2, s):
    """s[m] = (A x)[i, j, m] for the z column (i, j) [A]: the terms of ``fv._row`` in its
    order, one neighbour at a time along the column (the tests on i and j once per column,
    the z ends by the loop bounds: the loops vectorise)."""
    for m in range(n2):
        diag = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] + gz[i, j, m] + gz[i, j, m + 1]
        s[m] = diag * x[i, j, m]
    if i > 0:
        for m in range(n2):
            s[m] -= gx[i, j, m] * x[i - 1, j, m]
    if i < n0 - 1:
        for m in range(n2):
            s[m] -= gx[i + 1, j, m] * x[i + 1, j, m]
    if j > 0:
        for m in range(n2):
            s[m] -= gy[i, j, m] * x[i, j - 1, m]
    if j < n1 - 1:
        for m in range(n2):
            s[m] -= gy[i, j + 1, m] * x[i, j + 1, m]
    for m in range(1, n2):
        s[m] -= gz[i, j, m] * x[i, j, m - 1]
    for m in range(n2 - 1):
        s[m] -= gz[i, j, m + 1] * x[i, j, m + 1]


@njit(inline="always", cache=True)
def _shifted_column(gx, gy, gz, d, x, i, j, n0, n1, n2, s):
    """s[m] = ((A + diag d) x)[i, j, m] for the z column (i, j) [W]: the terms of
    ``_shifted_row`` in its order (``_column``, then the shift)."""
    _column(gx, gy, gz, x, i, j, n0, n1, n2, s)
    for m in range(n2):
        s[m] = d[i, j, m] * x[i, j, m] + s[m]


@njit(parallel=True, cache=True, nogil=True)
def shifted_residual(gx, gy, gz, d, x, b, out):
    """out = b - (A + diag d) x [W]; returns sum(out**2) [W2].

    gx (n0+1, n1, n2), gy (n0, n1+1, n2), gz (n0, n1, n2+1) face conductances [W/K];
    d, x, b, out (n0, n1, n2): shift [W/K], temperature [K], right-hand side [W].
    Column by column (``_shifted_column``): the same operations as ``_shifted_row`` cell by
    cell, so the same numbers bit for bit, about twice as fast.
    """
    n0, n1, n2 = x.shape
    acc = 0.0
    for i in prange(n0):
        s = np.empty(n2)
        for j in range(n1):
            _shifted_column(gx, gy, gz, d, x, i, j, n0, n1, n2, s)
            for m in range(n2):
                r = b[i, j, m] - s[m]
                out[i, j, m] = r
                acc += r * r
    return acc


@njit(parallel=True, cache=True, nogil=True)
def jacobi_inverse(gx, gy, gz, d, out):
    """out = 1 / diag(A + diag d) [K/W] per cell, 0 where the diagonal is 0 (inactive cells)."""
    n0, n1, n2 = d.shape
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                s = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] \
                    + gz[i, j, m] + gz[i, j, m + 1] + d[i, j, m]
                out[i, j, m] = 1.0 / s if s > 0.0 else 0.0


@njit(parallel=True, cache=True, nogil=True)
def apply_shifted(gx, gy, gz, d, p, q):
    """q = (A + diag d) p; returns p.q. Shapes as ``shifted_residual`` (column by column,
    the numbers of ``_shifted_row``)."""
    n0, n1, n2 = p.shape
    acc = 0.0
    for i in prange(n0):
        for j in range(n1):
            s = q[i, j]
            _shifted_column(gx, gy, gz, d, p, i, j, n0, n1, n2, s)
            for m in range(n2):
                acc += s[m] * p[i, j, m]
    return acc


# --------------------------------------------------------------------------------------------
# Nonsymmetric systems: band LU (no pivoting, for column diagonally dominant matrices such as
# a backward-Euler transport step) and GMRES. The symmetric solves use the CG kernels above.


@njit(cache=True, nogil=True)
def band_lu(lu, bw):
    """In-place LU factorisation without pivoting of a band matrix (unit lower factor):
    afterwards lu holds L below and U on and above the diagonal, in the same band storage.

    The pivot row's part right of the diagonal is copied to a buffer first: the updates of
    the rows below then read memory they do not write, and the compiler vectorises them
    (1.6x on the default 3D pot's species band); the same operations, the same numbers."""
    n = lu.shape[0]
    row = np.empty(max(bw, 1))
    for k in range(n):
        piv = lu[k, bw]
        top = min(n, k + bw + 1)
        w = top - k - 1  # the pivot row's entries right of the diagonal, j = k + 1 .. top - 1
        for t in range(w):
            row[t] = lu[k, bw + 1 + t]
        for i in range(k + 1, top):
            l_ik = lu[i, bw + k - i] / piv
            lu[i, bw + k - i] = l_ik
            if l_ik != 0.0:
                off = bw + k + 1 - i
                for t in range(w):
                    lu[i, off + t] -= l_ik * row[t]


@njit(cache=True, nogil=True)
def band_lu_solve(lu, bw, x):
    """Solve L U y = x in place (x of length N).

    The forward sweep takes two rows at a time: row i + 1 needs row i's result only for its
    last term, so its running sum over the earlier terms is a second chain beside row i's
    (each a chain of dependent multiply-adds; one alone leaves the floating-point units
    waiting on the previous result). Every row's terms are subtracted in the order of the
    one-row sweep (the same numbers bit for bit)."""
    n = lu.shape[0]
    i = 0
    if bw > 0:
        while i + 1 < n:
            lo0, lo1 = max(0, i - bw), max(0, i + 1 - bw)
            s0, s1 = x[i], x[i + 1]
            if lo1 > lo0:  # row i's first term, outside row i + 1's band
                s0 -= lu[i, bw + lo0 - i] * x[lo0]
            for k in range(lo1, i):
                s0 -= lu[i, bw + k - i] * x[k]
                s1 -= lu[i + 1, bw + k - i - 1] * x[k]
            x[i] = s0
            x[i + 1] = s1 - lu[i + 1, bw - 1] * s0
            i += 2
    for i in range(i, n):
        s = x[i]
        for k in range(max(0, i - bw), i):
            s -= lu[i, bw + k - i] * x[k]
        x[i] = s
    for i in range(n - 1, -1, -1):
        s = x[i]
        for j in range(i + 1, min(n, i + bw + 1)):
            s -= lu[i, bw + j - i] * x[j]
        x[i] = s / lu[i, bw]


@njit(cache=True, nogil=True)
def _band_lu_solve_two(lu, bw, xa, xb):
    """``band_lu_solve`` of two right-hand sides together: each factor entry is loaded once
    and used for both, and the two running sums are independent chains that overlap (in the
    forward sweep two rows at a time: four). Each right-hand side sees the operations of
    ``band_lu_solve`` in the same order (the same numbers bit for bit)."""
    n = lu.shape[0]
    i = 0
    if bw > 0:  # forward: two rows at a time as in band_lu_solve, four chains
        while i + 1 < n:
            lo0, lo1 = max(0, i - bw), max(0, i + 1 - bw)
            sa, sb, ta, tb = xa[i], xb[i], xa[i + 1], xb[i + 1]
            if lo1 > lo0:
                f = lu[i, bw + lo0 - i]
                sa -= f * xa[lo0]
                sb -= f * xb[lo0]
            for k in range(lo1, i):
                f, h = lu[i, bw + k - i], lu[i + 1, bw + k - i - 1]
                sa -= f * xa[k]
                sb -= f * xb[k]
                ta -= h * xa[k]
                tb -= h * xb[k]
            xa[i], xb[i] = sa, sb
            h = lu[i + 1, bw - 1]
            xa[i + 1], xb[i + 1] = ta - h * sa, tb - h * sb
            i += 2
    for i in range(i, n):
        sa, sb = xa[i], xb[i]
        for k in range(max(0, i - bw), i):
            f = lu[i, bw + k - i]
            sa -= f * xa[k]
            sb -= f * xb[k]
        xa[i], xb[i] = sa, sb
    for i in range(n - 1, -1, -1):
        sa, sb = xa[i], xb[i]
        for j in range(i + 1, min(n, i + bw + 1)):
            f = lu[i, bw + j - i]
            sa -= f * xa[j]
            sb -= f * xb[j]
        d = lu[i, bw]
        xa[i], xb[i] = sa / d, sb / d


@njit(cache=True, nogil=True)
def band_lu_solve_rows(lu, bw, xs):
    """``band_lu_solve`` of every row of xs (P, N) in one pass over the factor: each row's
    operations are those of ``band_lu_solve`` (the same numbers), the factor, which on a wide
    3D band is larger than the caches, is read once instead of P times."""
    n, m = lu.shape[0], xs.shape[0]
    if m == 2:  # the two pools' border: both rows in one chain of the factor's entries
        _band_lu_solve_two(lu, bw, xs[0], xs[1])
        return
    for i in range(n):
        for t in range(m):
            s = xs[t, i]
            for k in range(max(0, i - bw), i):
                s -= lu[i, bw + k - i] * xs[t, k]
            xs[t, i] = s
    for i in range(n - 1, -1, -1):
        for t in range(m):
            s = xs[t, i]
            for j in range(i + 1, min(n, i + bw + 1)):
                s -= lu[i, bw + j - i] * xs[t, j]
            xs[t, i] = s / lu[i, bw]


@njit(inline="always", cache=True)
def gmres(residual, op, precondition, pc, b, rtol, maxiter, x, V, Zp, H, w):
    """Solve M x = b by restarted GMRES, right-preconditioned: the Krylov solver of the
    nonsymmetric systems (the species transport with drift; the symmetric ones take the PCG of
    cellsim.fields.solvers). ``inline="always"``: each caller compiles it with its operator.

    residual(op, b, x, r, a) : writes r = b - M x and a = |b| + |M| |x| (the scale of each
        row's rounding); returns (r.r, the componentwise backward error max_p |r_p| / a_p).
    precondition(pc, v, z) : writes z = P^-1 v (P: a factorisation of M, or of an earlier,
        nearby M; with the exact one a single iteration is the direct solve).
    op, pc : their arguments (tuples of arrays).

    Stops when the componentwise backward error of the true residual is <= rtol (it reaches
    the float64 floor); a restart cycle that no longer halves it is accepted within 4 rtol.
    Returns the number of iterations, or -1 (not converged in ``maxiter``, or non-finite):
    the caller then renews P. x (n,) result, from 0; V (m + 1, n), Zp (m, n) (the
    preconditioned basis: no extra preconditioner solve for the update), H (m + 1, m + 3)
    and w (3, n) work arrays; restarted every m = V.shape[0] - 1 iterations.
    """
    for p in range(b.size):
        x[p] = 0.0
    return gmres_from(residual, op, precondition, pc, b, rtol, maxiter, x, V, Zp, H, w)


@njit(inline="always", cache=True)
def gmres_from(residual, op, precondition, pc, b, rtol, maxiter, x, V, Zp, H, w):
    """``gmres`` from the initial guess in x (a warm start: the previous step's solution);
    b = 0 gives x = 0 without iterating, as ``gmres``. From x = 0 the same operations as
    ``gmres``."""
    nn = b.size
    m = V.shape[0] - 1
    r, a, zero = w[0], w[1], w[2]
    bb = 0.0
    for p in range(nn):
        bb += b[p] * b[p]
        zero[p] = 0.0
    if bb == 0.0:
        for p in range(nn):
            x[p] = 0.0
        return 0
    cs, sn, g = H[:, m], H[:, m + 1], H[:, m + 2]
    total, prev = 0, np.inf
    while True:
        rr, err = residual(op, b, x, r, a)
        if not (np.isfinite(rr) and np.isfinite(err)):
            return -1
        if err <= rtol:
            return total
        if total >= maxiter or err > 0.5 * prev:
            return total if err <= 4.0 * rtol else -1
        prev = err
        beta = np.sqrt(rr)
        target = 1e-3 * beta
        for p in range(nn):
            V[0, p] = r[p] / beta
        g[:] = 0.0
        g[0] = beta
        k = 0
        for j in range(m):
            k = j + 1
            total += 1
            precondition(pc, V[j], Zp[j])
            residual(op, zero, Zp[j], V[j + 1], a)  # V[j+1] = -M Zp[j]
            for p in range(nn):
                V[j + 1, p] = -V[j + 1, p]
            for i in range(j + 1):  # modified Gram-Schmidt
                h = 0.0
                for p in range(nn):
                    h += V[j + 1, p] * V[i, p]
                H[i, j] = h
                for p in range(nn):
                    V[j + 1, p] -= h * V[i, p]
            hn = 0.0
            for p in range(nn):
                hn += V[j + 1, p] * V[j + 1, p]
            hn = np.sqrt(hn)
            H[j + 1, j] = hn
            if hn > 0.0:
                for p in range(nn):
                    V[j + 1, p] /= hn
            for i in range(j):  # previous Givens rotations on the new column
                t = cs[i] * H[i, j] + sn[i] * H[i + 1, j]
                H[i + 1, j] = -sn[i] * H[i, j] + cs[i] * H[i + 1, j]
                H[i, j] = t
            den = np.sqrt(H[j, j] ** 2 + hn ** 2)
            if den == 0.0:
                return -1
            cs[j], sn[j] = H[j, j] / den, hn / den
            H[j, j] = den
            H[j + 1, j] = 0.0
            g[j + 1] = -sn[j] * g[j]
            g[j] = cs[j] * g[j]
            if abs(g[j + 1]) <= target or hn == 0.0 or total >= maxiter:
                break
        for i in range(k - 1, -1, -1):  # y = H^-1 g (upper triangular), kept in g
            s = g[i]
            for l in range(i + 1, k):
                s -= H[i, l] * g[l]
            g[i] = s / H[i, i]
        for i in range(k):
            for p in range(nn):
                x[p] += g[i] * Zp[i, p]


# One thread: the serial twin (the same numbers, compiled in about half the time and
# faster on one thread for these flat loops; kernels/parallel.py). The 3D stencil
# kernels stay parallel only: their serial twins ran 3-8x slower on one thread.
dot = ByThreads(dot)
cg_step = ByThreads(cg_step)
xpby = ByThreads(xpby)


# --------------------------------------------------------------------------------------------
# Symmetric positive definite stencils on grids with one short axis pair (r-z): band Cholesky.
# The cells are numbered p = i s0 + j s1 + k s2 (strides chosen by the caller so that the
# longest axis varies slowest); the half-bandwidth is the largest stride. The factor is kept
# in lower band storage ab[p, q] = L[p + q, p] (q = 0..bw), one row per column of L, so the
# elimination and the forward substitution are unit-stride updates.


@njit(cache=True, nogil=True)
def band_cholesky_stencil(gx, gy, gz, d, s0, s1, s2, ab):
    """Assemble A + diag(d) of the face conductances (kernels.fv) in band storage with the
    cell numbering (s0, s1, s2) and factorise it in place (A + diag d = L L^T). Cells without
    any coefficient get a unit diagonal (they are decoupled). Returns 0, or p + 1 if the
    pivot of cell p is not positive (not positive definite: e.g. no fixed temperature or
    potential)."""
    n0, n1, n2 = d.shape
    n, bw = ab.shape[0], ab.shape[1] - 1
    ab[:, :] = 0.0
    for i in range(n0):
        for j in range(n1):
            for k in range(n2):
                p = i * s0 + j * s1 + k * s2
                a = (gx[i, j, k] + gx[i + 1, j, k] + gy[i, j, k] + gy[i, j + 1, k]
                     + gz[i, j, k] + gz[i, j, k + 1] + d[i, j, k])
                ab[p, 0] = a if a != 0.0 else 1.0
                if i < n0 - 1:
                    ab[p, s0] = -gx[i + 1, j, k]
                if j < n1 - 1:
                    ab[p, s1] = -gy[i, j + 1, k]
                if k < n2 - 1:
                    ab[p, s2] = -gz[i, j, k + 1]
    for k in range(n):
        s = ab[k, 0]
        if not s > 0.0:
            return k + 1
        dk = np.sqrt(s)
        ab[k, 0] = dk
        m = min(bw, n - 1 - k)
        inv = 1.0 / dk
        for q in range(1, m + 1):
            ab[k, q] *= inv
        for jq in range(1, m + 1):  # column k + jq less L[., k] L[k + jq, k] (unit stride)
            c = ab[k, jq]
            if c != 0.0:
                j = k + jq
                for q in range(m - jq + 1):
                    ab[j, q] -= ab[k, jq + q] * c
    return 0


@njit(cache=True, nogil=True)
def band_cholesky_stencil_solve(ab, s0, s1, s2, r, z, x):
    """z = (L L^T)^-1 r with the factor of ``band_cholesky_stencil``; r, z cell arrays, x a
    work vector of n cells (not used when the numbering is the cells' C order, as on the r-z
    pot: the sweeps then run in z itself).

    Both sweeps run on 1D slices (the factor's row, the part of x it updates or reads), which
    the compiler vectorises without the aliasing checks of two-index loads: on the default r-z
    pot (48 x 68 cells, half-bandwidth 48) the forward sweep 105 -> 46 us, the backward 86 ->
    73 us (best of 40 x 20 calls, one thread). Each entry of x sees the same operations in
    the same order as the two-index loops (the same numbers bit for bit;
    tests/verification/test_fv_solvers.py holds it against them)."""
    n0, n1, n2 = r.shape
    n, bw = ab.shape[0], ab.shape[1] - 1
    c_order = s2 == 1 and s1 == n2 and s0 == n1 * n2  # the cells' own order (the r-z pot)
    if c_order:  # solved in place in z: no gather into x and scatter back
        x = z.reshape(-1)
        rf = r.reshape(-1)
        for p in range(n):
            x[p] = rf[p]
    else:
        for i in range(n0):
            for j in range(n1):
                for k in range(n2):
                    x[i * s0 + j * s1 + k * s2] = r[i, j, k]
    for k in range(n):  # L y = r, column by column
        xk = x[k] / ab[k, 0]
        x[k] = xk
        m = min(bw, n - 1 - k)
        row = ab[k, 1:m + 1]
        seg = x[k + 1:k + 1 + m]
        for q in range(m):
            seg[q] -= row[q] * xk
    for k in range(n - 1, -1, -1):  # L^T z = y, row by row (four partial sums)
        m = min(bw, n - 1 - k)
        row = ab[k, 1:m + 1]
        seg = x[k + 1:k + 1 + m]
        s0_, s1_, s2_, s3_ = 0.0, 0.0, 0.0, 0.0
        q = 0
        while q + 4 <= m:
            s0_ += row[q] * seg[q]
            s1_ += row[q + 1] * seg[q + 1]
            s2_ += row[q + 2] * seg[q + 2]
            s3_ += row[q + 3] * seg[q + 3]
            q += 4
        while q < m:
            s0_ += row[q] * seg[q]
            q += 1
        x[k] = (x[k] - ((s0_ + s1_) + (s2_ + s3_))) / ab[k, 0]
    if not c_order:
        for i in range(n0):
            for j in range(n1):
                for k in range(n2):
                    z[i, j, k] = x[i * s0 + j * s1 + k * s2]


# --------------------------------------------------------------------------------------------
# The PCG of cellsim.fields.solvers.pcg with the band Cholesky preconditioner, as one kernel
# (r-z grids, one thread): the same operations in the same order as the Python loop over the
# one-thread kernels above (shifted_residual, the serial twins of dot, xpby and cg_step,
# apply_shifted, band_cholesky_stencil_solve), so the same numbers bit for bit, without
# ~10 Python calls per iteration. The decisions that need the rounding floor (a stalled
# solve, the end of the loop) are left to the caller.


@njit(cache=True, nogil=True)
def _block_sum(a, lo, n):
    """NumPy's sum of a block of at most 128 elements (``pairwise_sum``)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def pairwise_sum(a, lo, n):
    """Sum of a[lo:lo + n] (1D float64) in NumPy's order: blocks of at most 128 summed in eight
    interleaved partial sums, longer ranges split in halves (the first a multiple of 8) whose
    sums are added, so ``pairwise_sum(a, 0, a.size) == np.sum(a)`` bit for bit for a
    contiguous array (of any shape, flattened); kernels that replace NumPy reductions keep
    their numbers with it. The halving runs on an explicit stack (Numba's cache mishandles
    recursive kernels)."""
    if n <= 128:
        return _block_sum(a, lo, n)
    node_lo = np.empty(128, np.int64)
    node_n = np.empty(128, np.int64)
    stage = np.empty(128, np.int64)
    vals = np.empty(128)
    top, nv = 0, 0
    node_lo[0], node_n[0], stage[0] = lo, n, 0
    while top >= 0:
        lo_, n_ = node_lo[top], node_n[top]
        if n_ <= 128:
            vals[nv] = _block_sum(a, lo_, n_)
            nv += 1
            top -= 1
            continue
        half = n_ // 2
        half -= half % 8
        if stage[top] == 0:  # the first half
            stage[top] = 1
            top += 1
            node_lo[top], node_n[top], stage[top] = lo_, half, 0
        elif stage[top] == 1:  # the second half
            stage[top] = 2
            top += 1
            node_lo[top], node_n[top], stage[top] = lo_ + half, n_ - half, 0
        else:  # both done: their sum
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
            top -= 1
    return vals[0]


@njit(cache=True, nogil=True)
def _residual_serial(gx, gy, gz, d, x, b, out, s):
    """out = b - (A + diag d) x; returns sum(out**2): ``shifted_residual`` on one thread."""
    n0, n1, n2 = x.shape
    acc = 0.0
    for i in range(n0):
        for j in range(n1):
            _shifted_column(gx, gy, gz, d, x, i, j, n0, n1, n2, s)
            for m in range(n2):
                r = b[i, j, m] - s[m]
                out[i, j, m] = r
                acc += r * r
    return acc


@njit(cache=True, nogil=True)
def pcg_band_cholesky(gx, gy, gz, d, ab, s0, s1, s2, b, x, want_abs, maxiter, state, work, xw):
    """Preconditioned CG on (A + diag d) x = b from x (updated in place), preconditioned by
    the band Cholesky factor ``ab`` (``band_cholesky_stencil``, possibly of other
    coefficients); the loop of cellsim.fields.solvers.pcg, resumable.

    want_abs: the residual norm aimed at (want ||b||). state (float64[8], in/out): the
    iteration to run next, rz_old, best true residual, stalls, tail (0/1), r.r, the last true
    residual, and a flag set to skip the residual check of that iteration (a resumed stall).
    The caller sets state = (1, 1, inf, 0, 0, r.r, 0, 0) and r = b - (A + diag d) x
    (work[0]) before the first call. work (5, *b.shape): r, q, rt, z, p (p zeroed by the
    caller). xw: n cells of scratch for the band solves.
    Returns 0: converged (state[0] = the iterations); 1: stalled three times, state[6] the
    true residual (the caller tests it against the rounding floor: accept with state[0] - 1
    iterations, or set state[7] = 1 and call again); 2: the loop ended (maxiter reached or a
    breakdown): the caller tests the final residual.
    """
    r, q, rt, z, p = work[0], work[1], work[2], work[3], work[4]
    fx, fr, fz, fp, fq = x.reshape(-1), r.reshape(-1), z.reshape(-1), p.reshape(-1), q.reshape(-1)
    n = fx.size
    n0, n1, n2 = x.shape
    col = np.empty(n2)
    it = int(state[0])
    rz_old, best, stalls, tail, rr = state[1], state[2], int(state[3]), state[4] != 0.0, state[5]
    skip = state[7] != 0.0
    state[7] = 0.0
    while it <= maxiter:
        if not skip and (tail or np.sqrt(rr) <= want_abs):
            true = np.sqrt(_residual_serial(gx, gy, gz, d, x, b, rt, col))
            if true <= want_abs:
                state[0] = it - 1
                return 0
            if tail:
                rt_flat = rt.reshape(-1)
                for k in range(n):
                    fr[k] = rt_flat[k]
            tail = True
            stalls = stalls + 1 if true > 0.5 * best else 0
            best = min(best, true)
            if stalls >= 3:
                state[0], state[1], state[2], state[3] = it, rz_old, best, stalls
                state[4], state[5], state[6] = 1.0, rr, true
                return 1
        skip = False
        band_cholesky_stencil_solve(ab, s0, s1, s2, r, z, xw)
        rz = 0.0
        for k in range(n):
            rz += fr[k] * fz[k]
        beta = rz / rz_old if it > 1 else 0.0
        for k in range(n):
            fp[k] = fz[k] + beta * fp[k]
        pq = 0.0
        for i in range(n0):
            for j in range(n1):
                _shifted_column(gx, gy, gz, d, p, i, j, n0, n1, n2, col)
                for m in range(n2):
                    q[i, j, m] = col[m]
                    pq += col[m] * p[i, j, m]
        if not (pq > 0.0 and np.isfinite(rz)):
            break
        alpha = rz / pq
        s = 0.0
        for k in range(n):
            fx[k] += alpha * fp[k]
            rk = fr[k] - alpha * fq[k]
            fr[k] = rk
            s += rk * rk
        rr = s
        rz_old = rz
        it += 1
    state[0], state[1], state[2], state[3] = it, rz_old, best, stalls
    state[4], state[5] = 1.0 if tail else 0.0, rr
    return 2


@njit(cache=True, nogil=True)
def pcg_band_cholesky_start(gx, gy, gz, d, ab, s0, s1, s2, b, x, want, maxiter, state, work, xw):
    """``pcg_band_cholesky`` from the start of cellsim.fields.solvers.pcg: ||b|| (the serial
    sum of ``dot``), p = 0 and the first residual r = b - (A + diag d) x (``shifted_residual``
    on one thread), then the loop, so a solve is one kernel call. ``want``: relative to ||b||
    (the loop aims at want ||b||). state: float64[9], written here: that of
    ``pcg_band_cholesky`` and state[8] = ||b||. ||b|| = 0: x = 0, state[0] = 0, returns 0.
    Otherwise returns what ``pcg_band_cholesky`` returns (the caller resumes a stall with it,
    at want_abs = want state[8])."""
    fb = b.reshape(-1)
    n = fb.size
    s = 0.0
    for k in range(n):
        s += fb[k] * fb[k]
    bnorm = np.sqrt(s)
    state[8] = bnorm
    if bnorm == 0.0:
        fx = x.reshape(-1)
        for k in range(n):
            fx[k] = 0.0
        state[0] = 0.0
        return 0
    fp = work[4].reshape(-1)
    for k in range(n):
        fp[k] = 0.0
    rr = _residual_serial(gx, gy, gz, d, x, b, work[0], np.empty(x.shape[2]))
    state[0], state[1], state[2], state[3] = 1.0, 1.0, np.inf, 0.0
    state[4], state[5], state[6], state[7] = 0.0, rr, 0.0, 0.0
    return pcg_band_cholesky(gx, gy, gz, d, ab, s0, s1, s2, b, x, want * bnorm, maxiter, state, work, xw)


@njit(cache=True, nogil=True)
def _copy_if_changed(a, key):
    """Whether a (flat) differs from key element by element (``np.array_equal``); then key = a."""
    for k in range(a.size):
        if not a[k] == key[k]:
            key[:] = a
            return True
    return False


@njit(cache=True, nogil=True)
def renew_key(gx, gy, gz, d, kx, ky, kz, kd, inactive):
    """The operator key of a kept solver (cellsim.fields.heat_linear.ShiftedSolver): whether
    the coefficients (gx, gy, gz, d) differ from the key (kx, ky, kz, kd), all C-contiguous of
    the same shapes, element by element (``StencilOperator.same_as``); if so the key becomes
    a copy of them, ``inactive`` (bool, the cells' shape) marks the cells whose diagonal
    (``StencilOperator.diagonal``: summed in its order) is 0, and the count of those is
    returned; -1: the same coefficients, nothing written."""
    changed = _copy_if_changed(gx.reshape(-1), kx.reshape(-1))
    changed = _copy_if_changed(gy.reshape(-1), ky.reshape(-1)) or changed
    changed = _copy_if_changed(gz.reshape(-1), kz.reshape(-1)) or changed
    changed = _copy_if_changed(d.reshape(-1), kd.reshape(-1)) or changed
    if not changed:
        return -1
    n0, n1, n2 = d.shape
    count = 0
    for i in range(n0):
        for j in range(n1):
            for k in range(n2):
                a = gx[i, j, k] + gx[i + 1, j, k]
                a += gy[i, j, k]
                a += gy[i, j + 1, k]
                a += gz[i, j, k]
                a += gz[i, j, k + 1]
                a += d[i, j, k]
                z = a == 0.0
                inactive[i, j, k] = z
                count += z
    return count



@njit(cache=True, nogil=True)
def _count_changed(a, key, limit):
    """How many a[k] differ from key[k] by more than limit |key[k]| (flat arrays; a NaN, or a
    coefficient that becomes or leaves 0, counts)."""
    n = 0
    for k in range(a.size):
        n += not abs(a[k] - key[k]) <= limit * abs(key[k])
    return n


@njit(cache=True, nogil=True)
def count_changed(gx, gy, gz, d, kx, ky, kz, kd, limit):
    """How many coefficients of (gx, gy, gz, d) differ from a kept operator's (kx, ky, kz, kd)
    by more than ``limit`` relative to the kept value (all C-contiguous of the same shapes; d
    and kd: empty arrays for an unshifted operator). A coefficient that becomes or leaves 0
    and a NaN count. When none does, every face term and the shift (all positive
    semidefinite) are within (1 -+ limit) of the kept ones, so (1 - limit) A_key <= A <=
    (1 + limit) A_key: how near a preconditioner built for the key stays to one built for A
    (cellsim.fields.heat_linear.ShiftedSolver keeps its multigrid hierarchy while 0)."""
    n = _count_changed(gx.reshape(-1), kx.reshape(-1), limit)
    n += _count_changed(gy.reshape(-1), ky.reshape(-1), limit)
    n += _count_changed(gz.reshape(-1), kz.reshape(-1), limit)
    n += _count_changed(d.reshape(-1), kd.reshape(-1), limit)
    return n
