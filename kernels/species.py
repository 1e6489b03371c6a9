"""Kernels of dissolved-species transport in the electrolyte (tier 1 and 2).

The plain diffusion conductances come from ``cellsim.kernels.fv`` (``interior_conductances``
with a unit coefficient gives the geometric conductance G = A / (d_lo + d_hi) [m]; times
D_eff [m2/s] it is the diffusive conductance g [m3/s]). This module adds what is new:

* drift-diffusion face coefficients by exponential fitting (Scharfetter-Gummel): with the
  face's volumetric drift w = A v [m3/s] (v along +axis) and Peclet number Pe = w / g,

      flux_f = a_lo c_lo - a_hi c_hi,   a_lo = g B(-Pe),  a_hi = g B(Pe),  B(x) = x / (e^x - 1),

  exact for steady 1D drift-diffusion with constant v and D between the two centres, equal
  to central diffusion at Pe = 0, and an M-matrix for every Pe (no oscillations);
* COO assembly of the backward-Euler transport matrix over the unknown (electrolyte) cells;
* the overall conductance of an interface face, salt half cell + salt film + metal film
  (S/k_metal), the local form of ``cellsim.lumped.chemistry.film_conductance``.

Sign rule as everywhere: a flux is positive along +axis. Units: concentrations [mol/m3],
conductances [m3/s], fluxes [mol/s].
"""

import numpy as np
from numba import njit


@njit(inline="always", cache=True)
def bernoulli(x):
    """B(x) = x / (exp(x) - 1) [-], with B(0) = 1 (series below |x| = 1e-4)."""
    if abs(x) < 1e-4:
        return 1.0 - 0.5 * x + x * x / 12.0
    return x / np.expm1(x)


@njit(cache=True)
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


@njit(inline="always", cache=True)
def _couple(p, q, a_out, a_in, rows, cols, vals, nnz):
    """Row p gains +a_out on its diagonal and -a_in at column q (flux p -> q is
    a_out c_p - a_in c_q, counted as outflow of p)."""
    rows[nnz], cols[nnz], vals[nnz] = p, p, a_out
    rows[nnz + 1], cols[nnz + 1], vals[nnz + 1] = p, q, -a_in
    return nnz + 2


@njit(cache=True)
def assemble_transport(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, diag, rows, cols, vals):
    """COO entries of the transport matrix over the unknown cells.

    index : (n0, n1, n2) int64, unknown number of each cell or -1 (not an unknown).
    alo_*, ahi_* : face-shape float64 Scharfetter-Gummel coefficients per axis [m3/s].
    diag : (N,) float64 extra diagonal per unknown (V/dt, interface conductances) [m3/s].
    rows, cols : (>= N + 4 n_faces,) int64; vals : float64 [m3/s]; written from 0.
    Returns the number of entries written (duplicates are to be summed, as scipy does).
    Row p is the net outflow of cell p; faces with a non-unknown neighbour carry no flux.
    """
    n0, n1, n2 = index.shape
    nnz = 0
    for i in range(n0):
        for j in range(n1):
            for m in range(n2):
                p = index[i, j, m]
                if p < 0:
                    continue
                rows[nnz], cols[nnz], vals[nnz] = p, p, diag[p]
                nnz += 1
                if i + 1 < n0 and index[i + 1, j, m] >= 0:
                    q = index[i + 1, j, m]
                    nnz = _couple(p, q, alo_x[i + 1, j, m], ahi_x[i + 1, j, m], rows, cols, vals, nnz)
                    nnz = _couple(q, p, ahi_x[i + 1, j, m], alo_x[i + 1, j, m], rows, cols, vals, nnz)
                if j + 1 < n1 and index[i, j + 1, m] >= 0:
                    q = index[i, j + 1, m]
                    nnz = _couple(p, q, alo_y[i, j + 1, m], ahi_y[i, j + 1, m], rows, cols, vals, nnz)
                    nnz = _couple(q, p, ahi_y[i, j + 1, m], alo_y[i, j + 1, m], rows, cols, vals, nnz)
                if m + 1 < n2 and index[i, j, m + 1] >= 0:
                    q = index[i, j, m + 1]
                    nnz = _couple(p, q, alo_z[i, j, m + 1], ahi_z[i, j, m + 1], rows, cols, vals, nnz)
                    nnz = _couple(q, p, ahi_z[i, j, m + 1], alo_z[i, j, m + 1], rows, cols, vals, nnz)
    return nnz


@njit(cache=True)
def interface_conductance(area, half_width, diffusivity, film_resistance, S, k_metal, out):
    """Overall conductance of interface faces, A / (d/D + R_film + S/k_metal) [m3/s].

    area (n,) [m2]; half_width (n,) salt centre-to-face distance d [m]; diffusivity D_eff [m2/s]
    (scalar); film_resistance R_film = 1/k_salt [s/m] (scalar, 0 when the film is resolved);
    S (n,) salt/metal molar-concentration ratio at equilibrium [-]; k_metal [m/s] (scalar);
    out (n,) [m3/s]. The flux metal -> salt is out * (S c_metal - c_salt_cell) [mol/s].
    """
    for f in range(area.size):
        out[f] = area[f] / (half_width[f] / diffusivity + film_resistance + S[f] / k_metal)


@njit(cache=True)
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


@njit(cache=True)
def net_outflow(index, alo_x, ahi_x, alo_y, ahi_y, alo_z, ahi_z, c, out):
    """Net transport outflow of every unknown cell [mol/s], face by face.

    index, alo_*, ahi_* as in ``assemble_transport``; c (N,) [mol/m3]; out (N,) written.
    Each face flux is computed once and added to one cell and subtracted from the other,
    so the outflows sum to zero up to the rounding of the fluxes themselves (not of the
    much larger coefficients times concentrations): the conservative update of the caller.
    """
    n0, n1, n2 = index.shape
    out[:] = 0.0
    for i in range(n0):
        for j in range(n1):
            for m in range(n2):
                p = index[i, j, m]
                if p < 0:
                    continue
                if i + 1 < n0 and index[i + 1, j, m] >= 0:
                    q = index[i + 1, j, m]
                    f = alo_x[i + 1, j, m] * c[p] - ahi_x[i + 1, j, m] * c[q]
                    out[p] += f
                    out[q] -= f
                if j + 1 < n1 and index[i, j + 1, m] >= 0:
                    q = index[i, j + 1, m]
                    f = alo_y[i, j + 1, m] * c[p] - ahi_y[i, j + 1, m] * c[q]
                    out[p] += f
                    out[q] -= f
                if m + 1 < n2 and index[i, j, m + 1] >= 0:
                    q = index[i, j, m + 1]
                    f = alo_z[i, j, m + 1] * c[p] - ahi_z[i, j, m + 1] * c[q]
                    out[p] += f
                    out[q] -= f
