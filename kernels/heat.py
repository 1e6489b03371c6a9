"""Heat kernels: enthalpy-temperature relation, shifted conductance operator, surface law.

Enthalpy per unit volume H [J/m3] of a cell with solid and liquid volumetric heat
capacities c_s, c_l [J/(m3 K)], melting between t_s <= t_l [K] and volumetric latent heat
lat [J/m3] (lat = 0: no phase change):

    H = c_s (T - t_s)                                   T <= t_s   (liquid fraction f = 0)
    H = c_s (T - t_s) + lat (T - t_s) / (t_l - t_s)     t_s < T < t_l  (f linear in T)
    H = c_s (t_l - t_s) + lat + c_l (T - t_l)           T >= t_l   (f = 1)

An isothermal change (t_l == t_s) is the limit: H in [0, lat] at T = t_s, f = H / lat. The
heat capacity dH/dT of an isothermal mushy cell is reported as lat / ISOTHERMAL_RANGE (the
slope of a 1 uK mushy interval), which keeps the linearised systems finite.

The shifted operator is (A + diag(d)) x with A the conductance operator of
cellsim.kernels.fv (face conductances [W/K]) and d [W/K] a cell array (V rho c / dt for
backward Euler). Arrays named ``flat`` are 1D contiguous views (``a.reshape(-1)``).
"""

import numpy as np
from numba import njit, prange

from .fv import _row

ISOTHERMAL_RANGE = 1e-6  # K, mushy interval used for the slope of an isothermal change


@njit(parallel=True, cache=True)
def enthalpy_from_temperature(t, c_s, c_l, t_s, t_l, lat, out_h):
    """H [J/m3] of every cell at temperature t [K]; 1D float64 arrays of one length.

    At T == t_s == t_l (isothermal change) the cell is taken as fully liquid (H = lat).
    """
    for p in prange(t.size):
        T = t[p]
        if T < t_s[p]:
            out_h[p] = c_s[p] * (T - t_s[p])
        elif T < t_l[p]:
            out_h[p] = (c_s[p] + lat[p] / (t_l[p] - t_s[p])) * (T - t_s[p])
        else:
            out_h[p] = c_s[p] * (t_l[p] - t_s[p]) + lat[p] + c_l[p] * (T - t_l[p])


@njit(parallel=True, cache=True)
def temperature_from_enthalpy(h, c_s, c_l, t_s, t_l, lat, out_t, out_f, out_c):
    """Invert H(T): temperature [K], liquid fraction [-] and dH/dT [J/(m3 K)] per cell.

    h, c_s, c_l, t_s, t_l, lat : 1D float64 as in the module docstring.
    out_t, out_f, out_c : 1D float64 outputs. At a kink the slope of the phase the cell is
    in (solid for H <= 0, liquid for H >= H_liquidus) is reported.
    """
    for p in prange(h.size):
        H = h[p]
        rng = t_l[p] - t_s[p]
        h_liq = c_s[p] * rng + lat[p]
        if H <= 0.0:
            out_t[p] = t_s[p] + H / c_s[p]
            out_f[p] = 0.0
            out_c[p] = c_s[p]
        elif H < h_liq:
            if rng > 0.0:
                c_m = c_s[p] + lat[p] / rng
                out_t[p] = t_s[p] + H / c_m
                out_f[p] = (out_t[p] - t_s[p]) / rng
                out_c[p] = c_m
            else:
                out_t[p] = t_s[p]
                out_f[p] = H / lat[p]
                out_c[p] = lat[p] / ISOTHERMAL_RANGE
        else:
            out_t[p] = t_l[p] + (H - h_liq) / c_l[p]
            out_f[p] = 1.0
            out_c[p] = c_l[p]


@njit(inline="always", cache=True)
def _shifted_row(gx, gy, gz, d, x, i, j, m, n0, n1, n2):
    """((A + diag d) x) at cell (i, j, m) [W]; neighbours outside the grid count as 0."""
    return d[i, j, m] * x[i, j, m] + _row(gx, gy, gz, x, i, j, m, n0, n1, n2)


@njit(parallel=True, cache=True)
def shifted_residual(gx, gy, gz, d, x, b, out):
    """out = b - (A + diag d) x [W]; returns sum(out**2) [W2].

    gx (n0+1, n1, n2), gy (n0, n1+1, n2), gz (n0, n1, n2+1) face conductances [W/K];
    d, x, b, out (n0, n1, n2): shift [W/K], temperature [K], right-hand side [W].
    """
    n0, n1, n2 = x.shape
    acc = 0.0
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                r = b[i, j, m] - _shifted_row(gx, gy, gz, d, x, i, j, m, n0, n1, n2)
                out[i, j, m] = r
                acc += r * r
    return acc


@njit(parallel=True, cache=True)
def _jacobi_inverse(gx, gy, gz, d, out):
    n0, n1, n2 = d.shape
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                s = gx[i, j, m] + gx[i + 1, j, m] + gy[i, j, m] + gy[i, j + 1, m] \
                    + gz[i, j, m] + gz[i, j, m + 1] + d[i, j, m]
                out[i, j, m] = 1.0 / s if s > 0.0 else 0.0


@njit(parallel=True, cache=True)
def _apply_dot(gx, gy, gz, d, p, q):
    """q = (A + diag d) p; returns p.q."""
    n0, n1, n2 = p.shape
    acc = 0.0
    for i in prange(n0):
        for j in range(n1):
            for m in range(n2):
                v = _shifted_row(gx, gy, gz, d, p, i, j, m, n0, n1, n2)
                q[i, j, m] = v
                acc += v * p[i, j, m]
    return acc


@njit(parallel=True, cache=True)
def _update_xr(x, r, p, q, alpha, dinv, z):
    """x += alpha p; r -= alpha q; z = dinv r; returns (r.z, r.r)."""
    fx, fr, fp, fq, fd, fz = x.reshape(-1), r.reshape(-1), p.reshape(-1), q.reshape(-1), \
        dinv.reshape(-1), z.reshape(-1)
    rz = 0.0
    rr = 0.0
    for k in prange(fx.size):
        fx[k] += alpha * fp[k]
        fr[k] -= alpha * fq[k]
        fz[k] = fd[k] * fr[k]
        rz += fr[k] * fz[k]
        rr += fr[k] * fr[k]
    return rz, rr


@njit(parallel=True, cache=True)
def _direction(z, beta, p):
    fz, fp = z.reshape(-1), p.reshape(-1)
    for k in prange(fz.size):
        fp[k] = fz[k] + beta * fp[k]


@njit(cache=True)
def pcg_jacobi(gx, gy, gz, d, b, x, rtol, maxiter):
    """Jacobi-preconditioned CG on (A + diag d) x = b; x is the initial guess, updated.

    Shapes as in ``shifted_residual``; stops on the true residual ||b - (A+D) x|| <=
    rtol ||b|| [W]. Returns the iteration count, or -1 if maxiter was reached first.
    """
    r = np.empty_like(b)
    z = np.empty_like(b)
    q = np.empty_like(b)
    dinv = np.empty_like(b)
    bb = np.sqrt(np.sum(b * b))
    if bb == 0.0:
        x[...] = 0.0
        return 0
    _jacobi_inverse(gx, gy, gz, d, dinv)
    rr = shifted_residual(gx, gy, gz, d, x, b, r)
    z[...] = dinv * r
    p = z.copy()
    rz = np.sum(r * z)
    for it in range(1, maxiter + 1):
        if np.sqrt(rr) <= rtol * bb:
            rr = shifted_residual(gx, gy, gz, d, x, b, r)
            if np.sqrt(rr) <= rtol * bb:
                return it - 1
            z[...] = dinv * r
            p[...] = z
            rz = np.sum(r * z)
        pq = _apply_dot(gx, gy, gz, d, p, q)
        if not pq > 0.0:
            return -1
        rz_new, rr = _update_xr(x, r, p, q, rz / pq, dinv, z)
        _direction(z, rz_new / rz, p)
        rz = rz_new
    rr = shifted_residual(gx, gy, gz, d, x, b, r)
    return maxiter if np.sqrt(rr) <= rtol * bb else -1


@njit(parallel=True, cache=True)
def surface_linearisation(t_cell, kappa, h, eps_sigma, t_amb, flux, out_ts, out_h, out_value):
    """Newton linearisation of convection + radiation from an outer surface.

    The outward flux of a surface at temperature Ts is q(Ts) = h (Ts - t_amb) +
    eps_sigma (Ts^4 - t_amb^4) [W/m2]; the surface is joined to its cell centre (t_cell
    [K]) by the half-cell conductance per area kappa = k / (w/2) [W/(m2 K)], and an extra
    outward flux [W/m2] leaves the surface too. For each face Ts solves
    kappa (t_cell - Ts) = q(Ts) + flux (Newton, monotone), then q is linearised there:
    q ~ out_h (Ts - out_value) with out_h = q'(Ts) [W/(m2 K)], out_value [K].
    All arguments 1D float64 of the number of faces; eps_sigma = emissivity * sigma_SB
    [W/(m2 K4)].
    """
    for p in prange(t_cell.size):
        tc, ta, k, hc, es, fx = t_cell[p], t_amb[p], kappa[p], h[p], eps_sigma[p], flux[p]
        ts = tc
        for _ in range(60):
            q = hc * (ts - ta) + es * (ts ** 4 - ta ** 4)
            dq = hc + 4.0 * es * ts ** 3
            f = k * (tc - ts) - q - fx
            step = f / (k + dq)
            ts += step
            if abs(step) <= 1e-13 * (abs(ts) + 1.0):
                break
        q = hc * (ts - ta) + es * (ts ** 4 - ta ** 4)
        dq = hc + 4.0 * es * ts ** 3
        out_ts[p] = ts
        out_h[p] = dq
        out_value[p] = ts - q / dq if dq > 0.0 else ta


apply_shifted = _apply_dot  # public name: q = (A + diag d) p, returns p.q [W K]
