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


@njit(parallel=True, cache=True)
def dot(fa, fb):
    """Sum of fa * fb; 1D float64 views (``a.reshape(-1)``; reshaping inside a parallel
    kernel may copy)."""
    s = 0.0
    for p in prange(fa.size):
        s += fa[p] * fb[p]
    return s


@njit(parallel=True, cache=True)
def cg_step(fx, fr, fp, fq, alpha):
    """x += alpha p; r -= alpha q; returns the new r.r (fused PCG update); 1D views."""
    s = 0.0
    for k in prange(fx.size):
        fx[k] += alpha * fp[k]
        rk = fr[k] - alpha * fq[k]
        fr[k] = rk
        s += rk * rk
    return s


@njit(parallel=True, cache=True)
def xpby(fz, beta, fp):
    """p = z + beta p (PCG search direction update); 1D views."""
    for k in prange(fz.size):
        fp[k] = fz[k] + beta * fp[k]


@njit(inline="always", cache=True)
def _shifted_row(gx, gy, gz, d, x, i, j, m, n0, n1, n2):
    """((A + diag d) x) at cell (i, j, m) [W]; neighbours outside the grid count as 0."""
    return d[i, j, m] * x[i, j, m] + _row(gx, gy, gz, x, i, j, m, n0, n1, n2)


@njit(inline="always", cache=True)
def _shifted_column(gx, gy, gz, d, x, i, j, n0, n1, n2, s):
    """s[m] = ((A + diag d) x)[i, j, m] for the z column (i, j) [W]: the terms of
    ``_shifted_row`` in its order, one neighbour at a time along the column (the tests on
    i and j once per column, the z ends by the loop bounds: the loops vectorise)."""
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
    for m in range(n2):
        s[m] = d[i, j, m] * x[i, j, m] + s[m]


@njit(parallel=True, cache=True)
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


@njit(parallel=True, cache=True)
def jacobi_inverse(gx, gy, gz, d, out):
    """out = 1 / diag(A + diag d) [K/W] per cell, 0 where the diagonal is 0 (inactive cells)."""
    n0, n1, n2 = d.shape
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                s = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] \
                    + gz[i, j, m] + gz[i, j, m + 1] + d[i, j, m]
                out[i, j, m] = 1.0 / s if s > 0.0 else 0.0


@njit(parallel=True, cache=True)
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


# One thread: the serial twin (the same numbers, compiled in about half the time and
# faster on one thread for these flat loops; kernels/parallel.py). The 3D stencil
# kernels stay parallel only: their serial twins ran 3-8x slower on one thread.
dot = ByThreads(dot)
cg_step = ByThreads(cg_step)
xpby = ByThreads(xpby)
