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

from .exchange import face_exchange_ratios
from .linalg import band_lu, band_lu_solve, band_lu_solve_rows, gmres, gmres_from, pairwise_sum


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


# --------------------------------------------------------------------------------------------
# The whole species step of a narrow band (every r-z grid) in one call: the systems of every
# impurity, their solves with kept factorisations and the conservative update.


@njit(inline="always", cache=True)
def _interface_rows(k, cell, area, half, S, D, film, k_metal, vol, dt, cm, src, has_src, j, at, diag, b, g,
                    cells, pools, col, row, pool_diag, n):
    """One metal pool's part of impurity k's system, as SpeciesField._step_systems builds it
    with NumPy: the faces' conductances g = A / (d/D + R_film + S/k_metal) on the salt
    cells' diagonal; a pool of finite volume a bordered unknown j (its faces at ``at`` in
    cells, pools, col = -g S, row = -g; its diagonal V/dt + sum g S in NumPy's pairwise
    order; its right-hand side V/dt c (+ source)); a reservoir g S c into the cells'
    right-hand side. Returns the next ``at``."""
    m = cell.size
    for f in range(m):
        g[k, f] = area[f] / (half[f] / D + film + S[k, f] / k_metal)
    for f in range(m):
        diag[k, cell[f]] += g[k, f]
    if np.isfinite(vol):
        gs = np.empty(m)
        for f in range(m):
            gs[f] = g[k, f] * S[k, f]
            cells[at + f] = cell[f]
            pools[at + f] = j
            col[k, at + f] = -g[k, f] * S[k, f]
            row[k, at + f] = -g[k, f]
        pool_diag[k, j] = vol / dt + pairwise_sum(gs, m - m, m)  # m - m: a run-time 0 (no Literal type)
        b[k, n + j] = vol / dt * cm[k] + src[k] if has_src else vol / dt * cm[k]
        return at + m
    for f in range(m):
        b[k, cell[f]] += g[k, f] * S[k, f] * cm[k]
    return at


@njit(cache=True, nogil=True)
def band_step_all(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, volumes, dt, c, D, film,
                  cell_a, area_a, half_a, S_a, k_metal_a, vol_a, cm_a, src_a, has_src_a,
                  cell_c, area_c, half_c, S_c, k_metal_c, vol_c, cm_c, src_c, has_src_c,
                  bw, band, lu, z, schur, renew, iterations, V, Zp, H, work, rtol, maxiter, refactor_after,
                  diag, fresh, c_out, flux_a, flux_c, err):
    """One backward-Euler species step of every impurity: what SpeciesField._step_systems
    does with the band backend (species_linear.BandSolver) on a narrow band, in one call and
    the same floating-point operations (bit for bit).

    index (grid shape) unknown number of each cell or -1; alo_*, ahi_* (K, face shape) the
    face coefficients [m3/s]; volumes (N,) [m3]; dt [s] (inf: steady state); c (K, grid
    shape) the concentrations at the start [mol/m3]; D (K,) D_eff [m2/s]; film R_film [s/m].
    Per pool (_a the alloy, _c the cathode metal): its faces' salt cells, areas [m2] and
    salt half widths [m], the exchange ratios S (K, faces), k_metal [m/s], its volume [m3]
    (inf: a reservoir), concentrations (K,) [mol/m3] and source (K,) [mol/s] (``has_src``).
    The band backend's kept state (``BandSolver.begin``): bw, the band buffer (N, 2 bw + 1),
    the factors lu (K, N, 2 bw + 1), z (K, P, N), schur (K, P, P), the renewal flags renew
    (K,) bool and iterations (K,), GMRES's work V, Zp, H, work; rtol, maxiter of
    ``bordered_iterate`` and refactor_after (species_linear.REFACTOR_AFTER).
    Writes diag (K, N) the cells' diagonals, fresh (K,) whether impurity k was factorised
    afresh, c_out (K, grid shape) the new concentrations (0 outside the electrolyte), flux_a
    (K,) alloy -> salt and flux_c (K,) salt -> cathode [mol/s] (``conservative_update_all``).
    err (2,): 0 on success, else (code, impurity): 1 a non-positive pivot, 2 no convergence
    with a fresh factorisation, 3 non-finite values; the step is then not complete."""
    K = c.shape[0]
    n = volumes.size
    fin_a, fin_c = np.isfinite(vol_a), np.isfinite(vol_c)
    npool = (1 if fin_a else 0) + (1 if fin_c else 0)
    m = (cell_a.size if fin_a else 0) + (cell_c.size if fin_c else 0)
    finite_dt = np.isfinite(dt)
    c_old = np.empty((K, n))
    n0, n1, n2 = index.shape
    for i in range(n0):
        for j in range(n1):
            for q in range(n2):
                p = index[i, j, q]
                if p >= 0:
                    for k in range(K):
                        c_old[k, p] = c[k, i, j, q]
    b = np.empty((K, n + npool))
    x = np.empty((K, n + npool))
    cells = np.empty(m, np.int64)
    pools = np.empty(m, np.int64)
    col, row = np.empty((K, m)), np.empty((K, m))
    pool_diag = np.empty((K, npool))
    g_a, g_c = np.empty((K, cell_a.size)), np.empty((K, cell_c.size))
    err[0], err[1] = 0, 0
    fresh[:] = False
    for k in range(K):
        for p in range(n):
            store = volumes[p] / dt if finite_dt else 0.0
            diag[k, p] = store
            b[k, p] = store * c_old[k, p]
        at = _interface_rows(k, cell_a, area_a, half_a, S_a, D[k], film, k_metal_a, vol_a, dt, cm_a, src_a,
                             has_src_a, 0, 0, diag, b, g_a, cells, pools, col, row, pool_diag, n)
        _interface_rows(k, cell_c, area_c, half_c, S_c, D[k], film, k_metal_c, vol_c, dt, cm_c, src_c,
                        has_src_c, 1 if fin_a else 0, at, diag, b, g_c, cells, pools, col, row, pool_diag, n)
    for k in range(K):  # species_linear.BandSolver.solve, a narrow band
        for attempt in range(2):
            new = renew[k]
            if new:
                assemble_band(index, alo_x[k], ahi_x[k], alo_y[k], ahi_y[k], alo_z[k], ahi_z[k], diag[k], bw, band)
                if bordered_factor(band, bw, cells, pools, col[k], pool_diag[k], row[k], lu[k], z[k], schur[k]):
                    err[0], err[1] = 1, k
                    return
                fresh[k] = True
            else:
                bordered_border(lu[k], bw, cells, pools, col[k], pool_diag[k], row[k], z[k], schur[k])
            it = bordered_iterate(index, alo_x[k], ahi_x[k], alo_y[k], ahi_y[k], alo_z[k], ahi_z[k], diag[k],
                                  cells, pools, col[k], row[k], pool_diag[k], b[k], lu[k], bw, z[k], schur[k],
                                  rtol, maxiter, x[k], V, Zp, H, work)
            renew[k] = it < 0 or it > refactor_after
            if it >= 0:
                iterations[k] = it
                break
            if new:
                err[0], err[1] = 2, k
                return
    for k in range(K):
        for p in range(n + npool):
            if not np.isfinite(x[k, p]):
                err[0], err[1] = 3, k
                return
    cmx_a, cmx_c = np.empty(K), np.empty(K)
    for k in range(K):
        cmx_a[k] = x[k, n] if fin_a else cm_a[k]
        cmx_c[k] = x[k, n + (1 if fin_a else 0)] if fin_c else cm_c[k]
    cells_new = np.empty((K, n))
    conservative_update_all(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, x, c_old, volumes, dt, cell_a, g_a,
                            S_a, cmx_a, cell_c, g_c, S_c, cmx_c, cells_new, flux_a, flux_c)
    for i in range(n0):
        for j in range(n1):
            for q in range(n2):
                p = index[i, j, q]
                for k in range(K):
                    c_out[k, i, j, q] = cells_new[k, p] if p >= 0 else 0.0


@njit(inline="always", cache=True)
def _interface_pass(material, salt, metal, a, low_metal, areas, widths, m, fill, cell, salt_flat, axis,
                    face_flat, sign, area, half, index):
    """The faces of ``axis`` a between ``metal`` and ``salt`` cells with the metal on the low
    side (low_metal) or the high side, in C order of the low cell; written from m when
    ``fill``. Returns the new count."""
    n0, n1, n2 = material.shape
    e0, e1, e2 = (1 if a == 0 else 0), (1 if a == 1 else 0), (1 if a == 2 else 0)
    f1, f2 = n1 + e1, n2 + e2  # the face array's shape (n0 + e0, f1, f2)
    for i in range(n0 - e0):
        for j in range(n1 - e1):
            for q in range(n2 - e2):
                lo, hi = material[i, j, q], material[i + e0, j + e1, q + e2]
                if not ((lo == metal and hi == salt) if low_metal else (lo == salt and hi == metal)):
                    continue
                if fill:
                    fi, fj, fq = i + e0, j + e1, q + e2  # the face
                    si, sj, sq = (fi, fj, fq) if low_metal else (i, j, q)  # the salt cell
                    flat = (si * n1 + sj) * n2 + sq
                    cell[m] = index[si, sj, sq]
                    salt_flat[m] = flat
                    axis[m] = a
                    face_flat[m] = (fi * f1 + fj) * f2 + fq
                    sign[m] = 1.0 if low_metal else -1.0
                    area[m] = areas[fi, fj, fq]
                    half[m] = 0.5 * widths[si if a == 0 else (sj if a == 1 else sq)]
                m += 1
    return m


@njit(cache=True, nogil=True)
def interface_faces(material, salt, metal, index, area_x, area_y, area_z, w_x, w_y, w_z):
    """The faces between ``salt`` and ``metal`` cells (material ids) of a grid, as
    cellsim.fields.species._Interface holds them: per axis x, y, z (one of fewer than two
    cells skipped), first those with the metal on the low side (sign +1: metal -> salt is
    +axis), then those with it on the high side (-1), each in C order of the low cell.
    index: unknown number of each cell; area_* the face areas per axis [m2]; w_* the cell
    widths per axis [m]. Returns (cell, salt_flat, axis, face_flat, sign, area, half): the
    salt cell's unknown number and flat grid index, the axis, the flat index into that axis's
    face array, the sign, the area [m2] and the salt centre-to-face distance [m]."""
    empty_i, empty_f = np.empty(0, np.int64), np.empty(0)
    m = 0
    for fill in (False, True):
        if fill:
            cell, salt_flat, axis, face_flat = (np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.int64),
                                                np.empty(m, np.int64))
            sign, area, half = np.empty(m), np.empty(m), np.empty(m)
        else:
            cell = salt_flat = axis = face_flat = empty_i
            sign = area = half = empty_f
        m = 0
        for a in range(3):
            if material.shape[a] < 2:
                continue
            areas = area_x if a == 0 else (area_y if a == 1 else area_z)
            widths = w_x if a == 0 else (w_y if a == 1 else w_z)
            for low_metal in (True, False):
                m = _interface_pass(material, salt, metal, a, low_metal, areas, widths, m, fill, cell, salt_flat,
                                    axis, face_flat, sign, area, half, index)
    return cell, salt_flat, axis, face_flat, sign, area, half


@njit(cache=True, nogil=True)
def exchange_band_step(T, T_uniform, fc_x, fc_y, fc_z, depletion, nodes, values, slopes, offsets, nF, n3, RT_unit,
                       a_alx3, c_salt, salt_flat_a, axis_a, face_flat_a, sign_a, scale_a, x_al_a, act_a, gamma_a,
                       ct_a, salt_flat_c, axis_c, face_flat_c, sign_c, scale_c, x_al_c, act_c, gamma_c, ct_c,
                       index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, volumes, dt, c, D, film,
                       cell_a, area_a, half_a, k_metal_a, vol_a, cm_a, src_a, has_src_a,
                       cell_c, area_c, half_c, k_metal_c, vol_c, cm_c, src_c, has_src_c,
                       bw, band, lu, z, schur, renew, iterations, V, Zp, H, work, rtol, maxiter, refactor_after,
                       diag, fresh, c_out, flux_a, flux_c, err):
    """The whole species step of a narrow band in one call: the exchange ratios at both
    electrodes (kernels/exchange.face_exchange_ratios: the first block of arguments, _a the
    alloy's faces and pool, _c the cathode metal's; scale_* = 3 F k_metal c_total, ct_* the
    pools' c_total) and ``band_step_all`` with them (the other arguments). err as there, or
    (4, face) / (5, face): the surface Al mole fraction of an alloy / cathode face is <= 0
    (the step is not done)."""
    K = nF.size
    S_a, S_c = np.empty((K, salt_flat_a.size)), np.empty((K, salt_flat_c.size))
    for side in range(2):
        if side == 0:
            bad = face_exchange_ratios(T, T_uniform, salt_flat_a, fc_x, fc_y, fc_z, axis_a, face_flat_a, sign_a,
                                       area_a, depletion, scale_a, x_al_a, act_a, nodes, values, slopes, offsets,
                                       nF, n3, RT_unit, gamma_a, a_alx3, c_salt, ct_a, S_a)
        else:
            bad = face_exchange_ratios(T, T_uniform, salt_flat_c, fc_x, fc_y, fc_z, axis_c, face_flat_c, sign_c,
                                       area_c, depletion, scale_c, x_al_c, act_c, nodes, values, slopes, offsets,
                                       nF, n3, RT_unit, gamma_c, a_alx3, c_salt, ct_c, S_c)
        if bad >= 0:
            err[0], err[1] = 4 + side, bad
            return
    band_step_all(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, volumes, dt, c, D, film,
                  cell_a, area_a, half_a, S_a, k_metal_a, vol_a, cm_a, src_a, has_src_a,
                  cell_c, area_c, half_c, S_c, k_metal_c, vol_c, cm_c, src_c, has_src_c,
                  bw, band, lu, z, schur, renew, iterations, V, Zp, H, work, rtol, maxiter, refactor_after,
                  diag, fresh, c_out, flux_a, flux_c, err)
