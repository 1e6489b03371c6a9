"""Kernels of dissolved-species transport in the electrolyte (tier 1 and 2).

The plain diffusion conductances come from ``cellsim.kernels.fv`` (``interior_conductances``
with a unit coefficient gives the geometric conductance G = A / (d_lo + d_hi) [m]; times
D_eff [m2/s] it is the diffusive conductance g [m3/s]). This module adds what is new:

* drift-diffusion face coefficients by exponential fitting (Scharfetter-Gummel): with the
  face's volumetric drift w = A v [m3/s] (v along +axis) and Peclet number Pe = w / g,

      flux_f = a_lo c_lo - a_hi c_hi,   a_lo = g B(-Pe),  a_hi = g B(Pe),  B(x) = x / (e^x - 1),

  exact for steady 1D drift-diffusion with constant v and D between the two centres, equal
  to central diffusion at Pe = 0, and an M-matrix for every Pe (no oscillations);
* assembly of the backward-Euler transport matrix over the unknown (electrolyte) cells in
  band storage (``assemble_band``), the step matrix bordered by the metal pools (its residual
  face by face, its factorisation: the band LU of kernels.linalg and the pools' Schur
  complement), solved by the GMRES of kernels.linalg (``bordered_iterate``); every pass over
  the faces is the one traversal ``_each_cell_face``;
* the overall conductance of an interface face, salt half cell + salt film + metal film
  (S/k_metal), the local form of ``cellsim.lumped.chemistry.film_conductance``.

Sign rule as everywhere: a flux is positive along +axis. Units: concentrations [mol/m3],
conductances [m3/s], fluxes [mol/s].
"""

import numpy as np
from numba import njit

from .linalg import band_lu, band_lu_solve, band_lu_solve_rows, gmres, gmres_from


@njit(inline="always", cache=True)
def bernoulli(x):
    """B(x) = x / (exp(x) - 1) [-], with B(0) = 1 (series below |x| = 1e-4)."""
    if abs(x) < 1e-4:
        return 1.0 - 0.5 * x + x * x / 12.0
    return x / np.expm1(x)


@njit(cache=True, nogil=True)
def sg_coefficients(g, w, out_lo, out_hi):
    """Scharfetter-Gummel coefficients of every face of one axis.

    g : face-shape float64 diffusive conductance D A / h [m3/s] (0: no face).
    w : face-shape float64 volumetric drift A v along +axis [m3/s].
    out_lo, out_hi : face-shape float64 [m3/s]; flux = out_lo c_lo - out_hi c_hi [mol/s].
    Faces with g = 0 get zero coefficients (no transport through them).
    """
    f0, f1, f2 = g.shape
    for i in range(f0):
        for j in range(f1):
            for m in range(f2):
                gf = g[i, j, m]
                if gf <= 0.0:
                    out_lo[i, j, m] = 0.0
                    out_hi[i, j, m] = 0.0
                else:
                    pe = w[i, j, m] / gf
                    out_lo[i, j, m] = gf * bernoulli(-pe)
                    out_hi[i, j, m] = gf * bernoulli(pe)


@njit(cache=True, nogil=True)
def interface_conductance(area, half_width, diffusivity, film_resistance, S, k_metal, out):
    """Overall conductance of interface faces, A / (d/D + R_film + S/k_metal) [m3/s].

    area (n,) [m2]; half_width (n,) salt centre-to-face distance d [m]; diffusivity D_eff [m2/s]
    (scalar); film_resistance R_film = 1/k_salt [s/m] (scalar, 0 when the film is resolved);
    S (n,) salt/metal molar-concentration ratio at equilibrium [-]; k_metal [m/s] (scalar);
    out (n,) [m3/s]. The flux metal -> salt is out * (S c_metal - c_salt_cell) [mol/s].
    """
    for f in range(area.size):
        out[f] = area[f] / (half_width[f] / diffusivity + film_resistance + S[f] / k_metal)


@njit(cache=True, nogil=True)
def face_flux_sum(g, S, c_metal, cell, c, out):
    """Total flux metal -> salt through a set of interface faces [mol/s] (returned).

    g (n,) [m3/s]; S (n,) [-]; c_metal scalar [mol/m3]; cell (n,) int64 unknown number of the
    salt cell; c (N,) [mol/m3] unknowns; out (n,) per-face flux [mol/s], written.
    """
    total = 0.0
    for f in range(g.size):
        out[f] = g[f] * (S[f] * c_metal - c[cell[f]])
        total += out[f]
    return total


@njit(inline="always", cache=True)
def _each_cell_face(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, at_cell, face, state):
    """The one traversal of the transport's cells and faces: for every unknown cell p
    (index: unknown number of each cell or -1) in C order, ``at_cell(state, p)``, then
    ``face(state, p, q, a_lo, a_hi)`` for each of its faces to an unknown cell q > p on the
    high side (x, y, z), with the face's coefficients (alo_*, ahi_* as in ``assemble_band``).
    ``at_cell`` and ``face`` are ``inline="always"`` kernels, so each use compiles to the
    loop written out."""
    n0, n1, n2 = index.shape
    for i in range(n0):
        for j in range(n1):
            for m in range(n2):
                p = index[i, j, m]
                if p < 0:
                    continue
                at_cell(state, p)
                if i + 1 < n0 and index[i + 1, j, m] >= 0:
                    face(state, p, index[i + 1, j, m], alo_x[i + 1, j, m], ahi_x[i + 1, j, m])
                if j + 1 < n1 and index[i, j + 1, m] >= 0:
                    face(state, p, index[i, j + 1, m], alo_y[i, j + 1, m], ahi_y[i, j + 1, m])
                if m + 1 < n2 and index[i, j, m + 1] >= 0:
                    face(state, p, index[i, j, m + 1], alo_z[i, j, m + 1], ahi_z[i, j, m + 1])


@njit(inline="always", cache=True)
def _no_cell(state, p):
    pass


@njit(inline="always", cache=True)
def _each_face(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, face, state):
    """``_each_cell_face`` with faces only."""
    _each_cell_face(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, _no_cell, face, state)


@njit(inline="always", cache=True)
def _outflow_face(state, p, q, a_lo, a_hi):
    """Face flux from p to q added to p's outflow and taken from q's; state (c, out)."""
    c, out = state
    f = a_lo * c[p] - a_hi * c[q]
    out[p] += f
    out[q] -= f


@njit(cache=True, nogil=True)
def net_outflow(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, c, out):
    """Net transport outflow of every unknown cell [mol/s], face by face.

    index, alo_*, ahi_* as in ``assemble_band``; c (N,) [mol/m3]; out (N,) written.
    Each face flux is computed once and added to one cell and subtracted from the other,
    so the outflows sum to zero up to the rounding of the fluxes themselves (not of the
    much larger coefficients times concentrations): the conservative update of the caller.
    """
    out[:] = 0.0
    _each_face(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, _outflow_face, (c, out))


# --------------------------------------------------------------------------------------------
# Banded direct solve of one backward-Euler step (the campaign's per-step solve).
#
# With the unknowns in C order the transport couples cell p only with cells p +- offset,
# |offset| <= bw (the number of unknowns in one line of the last axis times the ones below):
# the cell block is a band matrix stored as band[p, bw + q - p] = A[p, q]. The well-mixed
# pools add one bordered row and column each (``assemble_band`` leaves them out); they are
# eliminated by the Schur complement. Every column of the step matrix sums to its storage
# term V/dt > 0 (each coefficient a_out of a face appears on one diagonal and, negated, below
# or above it in the same column; an interface conductance g appears on the salt cell's
# diagonal and as -g in the pool's row), so the matrix is strictly column diagonally dominant
# and Gaussian elimination without pivoting is stable, as is the Schur complement.


@njit(inline="always", cache=True)
def _widest_face(state, p, q, a_lo, a_hi):
    """state[0] = the largest |q - p| met so far."""
    state[0] = max(state[0], abs(q - p))


@njit(cache=True, nogil=True)
def band_width(index):
    """Largest |p - q| over neighbouring unknowns p, q of ``index`` (as in assemble_band)."""
    bw = np.zeros(1, np.int64)
    # the faces only, not their coefficients: index stands in for the coefficient arrays
    _each_face(index, index, index, index, index, index, index, _widest_face, bw)
    return bw[0]


@njit(inline="always", cache=True)
def _band_diagonal(state, p):
    """Cell p's extra diagonal (before its own faces, after its lower neighbours'); state
    (band, bw, diag)."""
    band, bw, diag = state
    band[p, bw] += diag[p]


@njit(inline="always", cache=True)
def _band_face(state, p, q, a_lo, a_hi):
    """A face's four entries: its flux leaves p (a_lo c_p - a_hi c_q) and enters q."""
    band, bw, diag = state
    band[p, bw] += a_lo
    band[p, bw + q - p] -= a_hi
    band[q, bw] += a_hi
    band[q, bw + p - q] -= a_lo


@njit(cache=True, nogil=True)
def assemble_band(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, bw, band):
    """The cell block of the transport matrix in band storage, band[p, bw + q - p] = A[p, q].

    The transport matrix over the unknown cells (index: unknown number of each cell or -1;
    alo_*, ahi_*: face-shape Scharfetter-Gummel coefficients per axis [m3/s]; diag (N,): extra
    diagonal per unknown, V/dt and interface conductances [m3/s]); row p is the net outflow
    of cell p, faces with a non-unknown neighbour carry no flux; band (N, 2 bw + 1) float64 is
    overwritten. bw must be at least ``band_width(index)``.
    """
    band[:, :] = 0.0
    _each_cell_face(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, _band_diagonal, _band_face, (band, bw, diag))


@njit(cache=True, nogil=True)
def _bordered_apply(lu, bw, cell, pool, row, z, schur, r, x):
    """x = M^-1 r with the factorised cell block, Z = A^-1 B and the factorised Schur
    complement (up to 2 pools): the block elimination of ``bordered_factor``."""
    n, npool = lu.shape[0], schur.shape[0]
    for p in range(n):
        x[p] = r[p]
    band_lu_solve(lu, bw, x[:n])
    _bordered_apply_pools(n, npool, cell, pool, row, z, schur, r, x)


@njit(inline="always", cache=True)
def _bordered_apply_pools(n, npool, cell, pool, row, z, schur, r, x):
    """The pools' part of ``_bordered_apply`` once x[:n] = A^-1 r[:n]."""
    rhs = np.empty(npool)
    for t in range(npool):
        rhs[t] = r[n + t]
    for f in range(cell.size):
        rhs[pool[f]] -= row[f] * x[cell[f]]
    if npool == 1:
        x[n] = rhs[0] / schur[0, 0]
    elif npool == 2:
        det = schur[0, 0] * schur[1, 1] - schur[0, 1] * schur[1, 0]
        x[n] = (schur[1, 1] * rhs[0] - schur[0, 1] * rhs[1]) / det
        x[n + 1] = (schur[0, 0] * rhs[1] - schur[1, 0] * rhs[0]) / det
    for t in range(npool):
        for p in range(n):
            x[p] -= z[t, p] * x[n + t]


@njit(cache=True, nogil=True)
def conservative_update_all(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, x, c_old, volumes, dt,
                            cell_a, g_a, S_a, cm_a, cell_c, g_c, S_c, cm_c, c_new, flux_a, flux_c):
    """New cell concentrations and interface fluxes of every species from the face fluxes of
    the solutions x (K, >= N) [mol/m3]: c_new = c_old - dt/V (net outflow), or x where dt is
    not finite (steady state). g_*, S_* (K, faces) [m3/s], [-]; cm_* (K,) metal-side
    concentration of each pool [mol/m3]; flux_a (K,) metal -> salt at the anode, flux_c (K,)
    salt -> metal at the cathode [mol/s]. The same face fluxes as ``net_outflow`` and
    ``face_flux_sum``: every one leaves one inventory and enters another."""
    n = c_old.shape[1]
    out = np.empty(n)
    for k in range(c_old.shape[0]):
        cells = x[k, :n]
        net_outflow(index, alo_x[k], ahi_x[k], alo_y[k], ahi_y[k], alo_z[k], ahi_z[k], cells, out)
        total = 0.0
        for f in range(cell_a.size):
            q = g_a[k, f] * (S_a[k, f] * cm_a[k] - cells[cell_a[f]])
            out[cell_a[f]] -= q
            total += q
        flux_a[k] = total
        total = 0.0
        for f in range(cell_c.size):
            q = g_c[k, f] * (S_c[k, f] * cm_c[k] - cells[cell_c[f]])
            out[cell_c[f]] -= q
            total += q
        flux_c[k] = -total
        for p in range(n):
            if np.isfinite(dt):
                c_new[k, p] = c_old[k, p] - dt * out[p] / volumes[p]
            else:
                c_new[k, p] = cells[p]


# --------------------------------------------------------------------------------------------
# Reused factorisations (the campaign's per-step solve without refactorising every step).
#
# The step matrix changes from one step to the next only through the interface conductances
# and exchange ratios (temperature, current) and V/dt: a factorisation made a few steps
# earlier is an excellent preconditioner of the current one. ``bordered_factor`` factorises
# the bordered system (band LU of the cell block, Z = A^-1 B, Schur complement) once;
# ``bordered_iterate`` then solves the current system by GMRES preconditioned with that
# (possibly stale) factorisation, the residual computed face by face (the 7-point stencil,
# not the band: 7 N instead of (2 bw + 1) N products), until it reaches the float64 floor.


@njit(cache=True, nogil=True)
def bordered_factor(band, bw, cell, pool, col, pool_diag, row, lu, z, schur):
    """Factorise the bordered step matrix M for later ``bordered_iterate`` calls.

    M is the band block A of the cells (band (N, 2 bw + 1), ``assemble_band``) bordered by
    the pools: cell, pool (m,) int64: interface face f couples salt cell cell[f] with pool
    pool[f] (0 or 1), col[f] = M[cell, pool] and row[f] = M[pool, cell]; pool_diag (P,) =
    M[pool, pool], P <= 2. Writes the band LU of A (lu (N, 2 bw + 1)), Z = A^-1 B (z (P, N))
    and the Schur complement D - C Z (schur (P, P)). Returns 0, or p + 1 if pivot p is not
    positive (not expected: the step matrix is column diagonally dominant).
    """
    n = band.shape[0]
    for p in range(n):
        for q in range(band.shape[1]):
            lu[p, q] = band[p, q]
    band_lu(lu, bw)
    for p in range(n):
        if not lu[p, bw] > 0.0:
            return p + 1
    bordered_border(lu, bw, cell, pool, col, pool_diag, row, z, schur)
    return 0


@njit(cache=True, nogil=True)
def bordered_border(lu, bw, cell, pool, col, pool_diag, row, z, schur):
    """Z = A^-1 B and the Schur complement D - C Z of the border (col, row, pool_diag) with
    the band factor lu of the cell block (``bordered_factor``); z (P, N), schur (P, P)
    written. With a factor of an earlier step's cell block and the current border, the
    preconditioner of ``bordered_iterate`` errs only in the cell block."""
    _border_columns(cell, pool, col, z)
    band_lu_solve_rows(lu, bw, z)
    _border_schur(cell, pool, row, pool_diag, z, schur)


@njit(inline="always", cache=True)
def _border_columns(cell, pool, col, z):
    """z (P, N) = the border columns B as rows (the right-hand sides of Z = A^-1 B)."""
    z[:, :] = 0.0
    for f in range(cell.size):
        z[pool[f], cell[f]] += col[f]


@njit(inline="always", cache=True)
def _border_schur(cell, pool, row, pool_diag, z, schur):
    """schur (P, P) = D - C Z, with Z = A^-1 B in z (P, N)."""
    schur[:, :] = 0.0
    for t in range(pool_diag.size):
        schur[t, t] = pool_diag[t]
    for f in range(cell.size):
        for t in range(pool_diag.size):
            schur[pool[f], t] -= row[f] * z[t, cell[f]]


@njit(inline="always", cache=True)
def _residual_face(state, p, q, a_lo, a_hi):
    """The face's terms of r = b - M x and of a = |b| + |M| |x|; state (x, r, a)."""
    x, r, a = state
    u, w = a_lo * x[p], a_hi * x[q]
    r[p] -= u - w
    r[q] += u - w
    s = abs(u) + abs(w)
    a[p] += s
    a[q] += s


@njit(cache=True, nogil=True)
def bordered_residual_stencil(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col, row,
                              pool_diag, b, x, r, a):
    """r = b - M x for the bordered step matrix applied face by face; a = |b| + |M| |x| (row
    sums of the absolute terms: the scale of each row's rounding). Arguments as
    ``assemble_band`` and ``bordered_factor``; b, x, r, a (N + P,). Returns (r.r, the
    componentwise backward error max_p |r_p| / a_p)."""
    n, npool = diag.size, pool_diag.size
    for p in range(n):
        v = diag[p] * x[p]
        r[p] = b[p] - v
        a[p] = abs(b[p]) + abs(v)
    for t in range(npool):
        v = pool_diag[t] * x[n + t]
        r[n + t] = b[n + t] - v
        a[n + t] = abs(b[n + t]) + abs(v)
    _each_face(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, _residual_face, (x, r, a))
    for f in range(cell.size):
        u, w = col[f] * x[n + pool[f]], row[f] * x[cell[f]]
        r[cell[f]] -= u
        r[n + pool[f]] -= w
        a[cell[f]] += abs(u)
        a[n + pool[f]] += abs(w)
    rr, worst = 0.0, 0.0
    for p in range(n + npool):
        rr += r[p] * r[p]
        if a[p] > 0.0:
            worst = max(worst, abs(r[p]) / a[p])
        elif r[p] != 0.0:
            worst = np.inf
    return rr, worst


@njit(inline="always", cache=True)
def _bordered_residual(op, b, x, r, a):
    """``bordered_residual_stencil`` with its operator arguments as one tuple (linalg.gmres)."""
    index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col, row, pool_diag = op
    return bordered_residual_stencil(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col,
                                     row, pool_diag, b, x, r, a)


@njit(inline="always", cache=True)
def _bordered_precondition(pc, v, z):
    """``_bordered_apply`` with its factorisation as one tuple (linalg.gmres)."""
    lu, bw, cell, pool, row, zz, schur = pc
    _bordered_apply(lu, bw, cell, pool, row, zz, schur, v, z)


@njit(cache=True, nogil=True)
def bordered_iterate(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col, row, pool_diag,
                     b, lu, bw, z, schur, rtol, maxiter, x, V, Zp, H, w):
    """Solve M x = b (the bordered step matrix of ``bordered_residual_stencil``) by the GMRES
    of kernels.linalg, right-preconditioned with a factorisation of ``bordered_factor`` made
    for this M (then one iteration is the direct solve) or for an earlier one (stale: a few
    iterations).

    The exchange with the pools nearly cancels in their Schur complement (the pools' storage
    V/dt is small against the interface conductances), so a stale factorisation errs
    strongly in that 2-dimensional subspace: a plain iterative refinement can diverge there,
    GMRES removes it in about two extra iterations. Stops at the float64 floor (``rtol``: the
    componentwise backward error of the true residual, computed face by face). Returns the
    number of iterations, or -1 (the caller then refactorises); x, V, Zp, H, w as
    ``linalg.gmres``.
    """
    return gmres(_bordered_residual, (index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col, row,
                                      pool_diag),
                 _bordered_precondition, (lu, bw, cell, pool, row, z, schur), b, rtol, maxiter, x, V, Zp, H, w)


# --------------------------------------------------------------------------------------------
# The wide band's preconditioner in float32 (the default 3D pot: seven 3.6 MB float64 factors
# do not fit the caches; a pass over one is memory bound). The factor is computed in float64
# (``band_lu``) and kept rounded to float32: half the bytes per pass. It only preconditions
# GMRES, whose residual is the float64 step matrix's (``bordered_residual_stencil``), so the
# solution still ends at the float64 floor; the rounding (~6e-8 relative) is far below the
# error of a factor a few steps old (~1e-3). The solves accumulate in float64 in the order
# the compiler vectorises (``_dot``): not band_lu_solve's order, so not its numbers.


# The solves' sums may be reordered (``FAST``: reassociation and fused multiply-adds, no
# assumption about NaN or infinities): the compiler then vectorises them; ~4x per pass with
# the factor in cache against ``band_lu_solve``'s ordered chains.
FAST = {"reassoc", "contract"}


@njit(inline="always", cache=True, fastmath=FAST)
def _dot(row, x):
    """sum of row[t] x[t] in float64 (row of any float type), in any order."""
    s = 0.0
    for t in range(row.size):
        s += np.float64(row[t]) * x[t]
    return s


@njit(cache=True, nogil=True, fastmath=FAST)
def band_solve_rows_mixed(lu, bw, xs):
    """L U y = x for every row of xs (m, N) float64 in one pass over the band factor lu
    (``band_lu``'s storage, any float type: float32 here), in place. Each factor row is read
    from memory once and used for every right-hand side while it is in cache."""
    n, m = lu.shape[0], xs.shape[0]
    for i in range(n):
        lo = max(0, i - bw)
        left = lu[i, bw + lo - i:bw]
        for t in range(m):
            xs[t, i] -= _dot(left, xs[t, lo:i])
    for i in range(n - 1, -1, -1):
        hi = min(n, i + bw + 1)
        right = lu[i, bw + 1:bw + hi - i]
        d = np.float64(lu[i, bw])
        for t in range(m):
            xs[t, i] = (xs[t, i] - _dot(right, xs[t, i + 1:hi])) / d


@njit(cache=True, nogil=True, fastmath=FAST)
def band_solve_mixed(lu, bw, x):
    """``band_solve_rows_mixed`` of one right-hand side x (N,) float64, in place."""
    n = lu.shape[0]
    for i in range(n):
        lo = max(0, i - bw)
        x[i] -= _dot(lu[i, bw + lo - i:bw], x[lo:i])
    for i in range(n - 1, -1, -1):
        hi = min(n, i + bw + 1)
        x[i] = (x[i] - _dot(lu[i, bw + 1:bw + hi - i], x[i + 1:hi])) / np.float64(lu[i, bw])


@njit(cache=True, nogil=True)
def band_factor_rounded(band, bw, lu):
    """Factorise band (N, 2 bw + 1) float64 in place (``band_lu``) and write it rounded to
    lu's type (float32). Returns 0, or p + 1 if pivot p is not positive (not expected: the
    step matrix is column diagonally dominant)."""
    band_lu(band, bw)
    n = band.shape[0]
    for p in range(n):
        if not band[p, bw] > 0.0:
            return p + 1
    for p in range(n):
        for q in range(band.shape[1]):
            lu[p, q] = band[p, q]
    return 0


@njit(cache=True, nogil=True)
def bordered_border_mixed(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col, row,
                          pool_diag, b, x0, lu, bw, zf, schur, r, a):
    """``bordered_border`` with a rounded factor (``band_solve_rows_mixed``) and, in the same
    pass over lu, the band solve of GMRES's first preconditioner call in
    ``bordered_iterate_mixed`` from the initial guess x0 (N + P): its first Krylov vector is
    r / ||r||, r the residual of x0 (``bordered_residual_stencil``, computed here as there).
    zf (P + 1, N) receives Z = A^-1 B in its first P rows and that vector's cell part solved
    in the last; schur (P, P) = D - C Z. r, a (N + P,) work. Returns 0, or 1 when the
    residual of x0 is 0 (the last row unused)."""
    n, npool = lu.shape[0], pool_diag.size
    rr, _ = bordered_residual_stencil(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool,
                                      col, row, pool_diag, b, x0, r, a)
    empty = 1 if rr == 0.0 else 0
    beta = np.sqrt(rr)
    for p in range(n):
        zf[npool, p] = r[p] / beta if empty == 0 else 0.0
    z = zf[:npool]
    _border_columns(cell, pool, col, z)
    band_solve_rows_mixed(lu, bw, zf)
    _border_schur(cell, pool, row, pool_diag, z, schur)
    return empty


@njit(inline="always", cache=True)
def _bordered_precondition_mixed(pc, v, out):
    """M^-1 v as ``_bordered_apply`` with the rounded factor; the first call takes the cell
    part from zf's last row (``bordered_border_mixed``: the same vector v)."""
    lu, bw, cell, pool, row, zf, schur, pending = pc
    n, npool = lu.shape[0], schur.shape[0]
    z = zf[:npool]
    if pending[0] == 0:
        for p in range(n):
            out[p] = v[p]
        band_solve_mixed(lu, bw, out[:n])
    else:
        pending[0] = 0
        for p in range(n):
            out[p] = zf[npool, p]
    _bordered_apply_pools(n, npool, cell, pool, row, z, schur, v, out)


@njit(cache=True, nogil=True)
def bordered_iterate_mixed(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col, row,
                           pool_diag, b, lu, bw, zf, schur, rtol, maxiter, x, V, Zp, H, w):
    """GMRES on the float64 step matrix (as ``bordered_iterate``) from the initial guess in x
    (the x0 of ``bordered_border_mixed``), preconditioned with the rounded factor lu and the
    border of ``bordered_border_mixed`` (zf, schur); the same stopping rule (the componentwise
    backward error of the true residual at the float64 floor). Returns the iterations, or -1."""
    pending = np.ones(1, dtype=np.int64)
    return gmres_from(_bordered_residual, (index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, cell, pool, col,
                                           row, pool_diag),
                      _bordered_precondition_mixed, (lu, bw, cell, pool, row, zf, schur, pending), b, rtol,
                      maxiter, x, V, Zp, H, w)
