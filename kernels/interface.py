"""Electrode kinetics of the metal|electrolyte interfaces (tier 1 and 2).

Convention (both electrodes): the overpotential is eta = phi_metal - phi_electrolyte [V]
and the anodic current density j [A/m2] is the current crossing from the metal into the
electrolyte. Butler-Volmer:

    j = i0 (exp(alpha_a nf eta) - exp(-alpha_c nf eta)),   nf = n F / (R T) [1/V],

so the anode (current leaves the alloy) has j > 0, eta > 0 and the cathode (current enters
the refined metal) j < 0, eta < 0; either way the potential drops by |eta| along the
current. The linearised option is j = i0 (alpha_a + alpha_c) nf eta.
"""

import numpy as np
from numba import njit


@njit(inline="always", cache=True)
def bv_current(eta, i0, alpha_a, alpha_c, nf):
    """Butler-Volmer current density [A/m2] at overpotential eta [V]."""
    return i0 * (np.exp(alpha_a * nf * eta) - np.exp(-alpha_c * nf * eta))


@njit(inline="always", cache=True)
def bv_slope(eta, i0, alpha_a, alpha_c, nf):
    """d j / d eta [S/m2] of Butler-Volmer."""
    return i0 * nf * (alpha_a * np.exp(alpha_a * nf * eta) + alpha_c * np.exp(-alpha_c * nf * eta))


@njit(inline="always", cache=True)
def bv_overpotential(j, i0, alpha_a, alpha_c, nf):
    """Overpotential eta [V] with bv_current(eta) = j [A/m2] (inverse Butler-Volmer).

    Newton's method safeguarded by bisection on the bracket [0, eta_max] (sign of j), with
    eta_max = ln(1 + |j|/i0) / (alpha nf) where bv_current already exceeds |j|. A fixed
    iteration budget (no exceptions in kernels); converges to round-off in < 10 steps.
    """
    if j == 0.0:
        return 0.0
    s = 1.0 if j > 0.0 else -1.0
    alpha = alpha_a if j > 0.0 else alpha_c
    lo, hi = 0.0, np.log1p(abs(j) / i0) / (alpha * nf)
    eta = np.arcsinh(0.5 * abs(j) / i0) / (0.5 * (alpha_a + alpha_c) * nf)
    if eta > hi:
        eta = 0.5 * hi
    for _ in range(100):
        f = s * bv_current(s * eta, i0, alpha_a, alpha_c, nf) - abs(j)
        if f > 0.0:
            hi = eta
        else:
            lo = eta
        step = f / bv_slope(s * eta, i0, alpha_a, alpha_c, nf)
        new = eta - step
        if new <= lo or new >= hi:
            new = 0.5 * (lo + hi)
        if abs(new - eta) <= 1e-15 * abs(eta) or hi - lo <= 1e-15 * hi:
            eta = new
            break
        eta = new
    return s * eta


@njit(cache=True, nogil=True)
def bv_linearise(j, i0, alpha_a, alpha_c, nf, eta_out, slope_out):
    """Butler-Volmer overpotential and its derivative at given current densities.

    j : (m,) anodic current densities [A/m2]; i0, alpha_a, alpha_c, nf : (m,) per-face
    exchange current density [A/m2], transfer coefficients [-] and nF/RT [1/V].
    eta_out : (m,) eta(j) [V]; slope_out : (m,) d eta / d j [ohm m2].
    """
    for p in range(j.size):
        e = bv_overpotential(j[p], i0[p], alpha_a[p], alpha_c[p], nf[p])
        eta_out[p] = e
        slope_out[p] = 1.0 / bv_slope(e, i0[p], alpha_a[p], alpha_c[p], nf[p])


@njit(cache=True, nogil=True)
def linear_linearise(j, i0, alpha_a, alpha_c, nf, eta_out, slope_out):
    """Linearised kinetics eta = j / (i0 (alpha_a + alpha_c) nf); same arguments as
    ``bv_linearise``; slope_out is the constant charge-transfer resistance [ohm m2]."""
    for p in range(j.size):
        r = 1.0 / (i0[p] * (alpha_a[p] + alpha_c[p]) * nf[p])
        eta_out[p] = r * j[p]
        slope_out[p] = r


KINETICS = {"butler_volmer": bv_linearise, "linear": linear_linearise}
