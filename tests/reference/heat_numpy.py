"""NumPy twins of cellsim.kernels.heat (same arguments, plain vectorised NumPy)."""

import numpy as np

ISOTHERMAL_RANGE = 1e-6


def enthalpy_from_temperature(t, c_s, c_l, t_s, t_l, lat):
    rng = t_l - t_s
    with np.errstate(divide="ignore", invalid="ignore"):
        mushy = (c_s + lat / np.where(rng > 0, rng, 1.0)) * (t - t_s)
    liquid = c_s * rng + lat + c_l * (t - t_l)
    return np.where(t < t_s, c_s * (t - t_s), np.where(t < t_l, mushy, liquid))


def temperature_from_enthalpy(h, c_s, c_l, t_s, t_l, lat):
    rng = t_l - t_s
    h_liq = c_s * rng + lat
    iso = rng <= 0
    c_m = np.where(iso, lat / ISOTHERMAL_RANGE, c_s + lat / np.where(iso, 1.0, rng))
    t_m = np.where(iso, t_s, t_s + h / np.where(c_m > 0, c_m, 1.0))
    f_m = np.where(iso, h / np.where(lat > 0, lat, 1.0), (t_m - t_s) / np.where(iso, 1.0, rng))
    solid, liquid = h <= 0, h >= h_liq
    t = np.where(solid, t_s + h / c_s, np.where(liquid, t_l + (h - h_liq) / c_l, t_m))
    f = np.where(solid, 0.0, np.where(liquid, 1.0, f_m))
    c = np.where(solid, c_s, np.where(liquid, c_l, c_m))
    return t, f, c


def shifted_residual(gx, gy, gz, d, x, b):
    """b - (A + diag d) x with zero outside values; returns (out, sum(out**2))."""
    ax = d * x
    for g, a in ((gx, 0), (gy, 1), (gz, 2)):
        pad = [(0, 0)] * 3
        pad[a] = (1, 1)
        xp = np.pad(x, pad)
        n = x.shape[a]
        lo = np.take(g, np.arange(n), axis=a)
        hi = np.take(g, np.arange(1, n + 1), axis=a)
        ax = ax + lo * (x - np.take(xp, np.arange(n), axis=a)) + hi * (x - np.take(xp, np.arange(2, n + 2), axis=a))
    out = b - ax
    return out, float(np.sum(out**2))


def surface_linearisation(t_cell, kappa, h, eps_sigma, t_amb, flux):
    """Bisection for Ts, then the tangent of q at Ts: (ts, h_lin, value)."""
    lo, hi = np.minimum(t_amb, t_cell) - 500.0, np.maximum(t_amb, t_cell) + 500.0
    lo = np.maximum(lo, 0.0)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f = kappa * (t_cell - mid) - (h * (mid - t_amb) + eps_sigma * (mid**4 - t_amb**4)) - flux
        lo, hi = np.where(f > 0, mid, lo), np.where(f > 0, hi, mid)
    ts = 0.5 * (lo + hi)
    q = h * (ts - t_amb) + eps_sigma * (ts**4 - t_amb**4)
    dq = h + 4 * eps_sigma * ts**3
    return ts, dq, ts - q / dq
