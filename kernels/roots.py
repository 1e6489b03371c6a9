"""Scalar roots of the lumped heat balance: the shell temperature of a wall losing heat to
ambient by free convection and radiation, and the wall temperature behind a frozen ledge.

Brent's method (inverse quadratic interpolation safeguarded by bisection) in the arithmetic
of SciPy's ``brentq`` (step by step the same floating-point operations), so a caller that
used ``scipy.optimize.brentq`` gets the same iterates and the same root, bit for bit, at a
fraction of the cost of a Python callback per function value. The method is written in
reverse-communication form (``_brent_next`` returns the next abscissa; the caller evaluates
the function there), so each root below inlines its own residual.

Status codes (no exceptions in kernels): 0 converged, 1 no sign change on the bracket,
2 iteration budget spent, 3 a residual was not a number.
"""

import math

import numpy as np
from numba import njit

EPS4 = 4.0 * 2.220446049250313e-16  # SciPy brentq's default (and smallest) rtol


@njit(inline="always", cache=True)
def _brent_next(xpre, fpre, xcur, fcur, xblk, fblk, spre, scur, xtol, rtol):
    """One step of Brent's method on the bracket [xpre, xcur] (fpre fcur <= 0).

    Returns (done, xpre, fpre, xcur, fcur, xblk, fblk, spre, scur): when ``done`` xcur is the
    root; otherwise xcur is the next abscissa to evaluate (the caller sets fcur there).
    """
    if fpre * fcur < 0.0:
        xblk, fblk = xpre, fpre
        spre = xcur - xpre
        scur = spre
    if abs(fblk) < abs(fcur):
        xpre, xcur, xblk = xcur, xblk, xcur
        fpre, fcur, fblk = fcur, fblk, fcur
    delta = (xtol + rtol * abs(xcur)) / 2.0
    sbis = (xblk - xcur) / 2.0
    if fcur == 0.0 or abs(sbis) < delta:
        return True, xpre, fpre, xcur, fcur, xblk, fblk, spre, scur
    if abs(spre) > delta and abs(fcur) < abs(fpre):
        if xpre == xblk:  # secant
            stry = -fcur * (xcur - xpre) / (fcur - fpre)
        else:  # inverse quadratic
            dpre = (fpre - fcur) / (xpre - xcur)
            dblk = (fblk - fcur) / (xblk - xcur)
            stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
        if 2.0 * abs(stry) < min(abs(spre), 3.0 * abs(sbis) - delta):
            spre = scur
            scur = stry
        else:
            spre = sbis
            scur = sbis
    else:
        spre = sbis
        scur = sbis
    xpre, fpre = xcur, fcur
    if abs(scur) > delta:
        xcur += scur
    elif sbis > 0.0:
        xcur += delta
    else:
        xcur -= delta
    return False, xpre, fpre, xcur, fcur, xblk, fblk, spre, scur


@njit(inline="always", cache=True)
def _surface_residual(Ts, T_in, R_in, area, h, emissive, T_amb, T_amb4):
    return (T_in - Ts) / R_in - area * (h * (Ts - T_amb) + emissive * (math.pow(Ts, 4.0) - T_amb4))


@njit(cache=True, nogil=True)
def surface_loss(T_in, R_in, area, h, emissive, T_amb, xtol, rtol):
    """Heat flow [W] through a resistance R_in [K/W] from T_in [K] to an outer face of
    ``area`` [m2] losing h (Ts - T_amb) + emissive (Ts^4 - T_amb^4) [W/m2] (h [W/(m2 K)],
    emissive = emissivity x Stefan-Boltzmann [W/(m2 K4)]), and the face temperature Ts [K].

    Ts is the root on [T_amb, T_in] to xtol [K] + rtol Ts (Brent). Returns (Q, Ts, status);
    Q = 0, Ts = T_amb when T_in <= T_amb.
    """
    if T_in <= T_amb:
        return 0.0, T_amb, 0
    T_amb4 = math.pow(T_amb, 4.0)
    xpre, xcur = T_amb, T_in
    fpre = _surface_residual(xpre, T_in, R_in, area, h, emissive, T_amb, T_amb4)
    fcur = _surface_residual(xcur, T_in, R_in, area, h, emissive, T_amb, T_amb4)
    if math.isnan(fpre) or math.isnan(fcur):
        return math.nan, math.nan, 3
    if fpre * fcur > 0.0:
        return math.nan, math.nan, 1
    if fpre == 0.0:
        return (T_in - xpre) / R_in, xpre, 0
    if fcur == 0.0:
        return (T_in - xcur) / R_in, xcur, 0
    xblk = fblk = spre = scur = 0.0
    for _ in range(100):
        done, xpre, fpre, xcur, fcur, xblk, fblk, spre, scur = _brent_next(
            xpre, fpre, xcur, fcur, xblk, fblk, spre, scur, xtol, rtol)
        if done:
            return (T_in - xcur) / R_in, xcur, 0
        fcur = _surface_residual(xcur, T_in, R_in, area, h, emissive, T_amb, T_amb4)
        if math.isnan(fcur):
            return math.nan, math.nan, 3
    return math.nan, math.nan, 2


@njit(cache=True, nogil=True)
def wall_behind_ledge(Q, R_wall, area, h, emissive, T_amb, T_low, T_high, xtol, rtol):
    """Temperature T_wall [K] on [T_low, T_high] of the inner face of a wall of resistance
    R_wall [K/W] that passes Q [W] into an outer face of ``area`` [m2] losing heat as in
    :func:`surface_loss` (whose tolerances 1e-9 K, 1e-12 it uses inside): the root of
    surface_loss(T_wall) - Q, to xtol [K] + rtol T_wall (Brent). Returns (T_wall, status).
    """
    xpre, xcur = T_low, T_high
    fpre = surface_loss(xpre, R_wall, area, h, emissive, T_amb, 1e-9, 1e-12)[0] - Q
    fcur = surface_loss(xcur, R_wall, area, h, emissive, T_amb, 1e-9, 1e-12)[0] - Q
    if math.isnan(fpre) or math.isnan(fcur):
        return math.nan, 3
    if fpre * fcur > 0.0:
        return math.nan, 1
    if fpre == 0.0:
        return xpre, 0
    if fcur == 0.0:
        return xcur, 0
    xblk = fblk = spre = scur = 0.0
    for _ in range(100):
        done, xpre, fpre, xcur, fcur, xblk, fblk, spre, scur = _brent_next(
            xpre, fpre, xcur, fcur, xblk, fblk, spre, scur, xtol, rtol)
        if done:
            return xcur, 0
        fcur = surface_loss(xcur, R_wall, area, h, emissive, T_amb, 1e-9, 1e-12)[0] - Q
        if math.isnan(fcur):
            return math.nan, 3
    return math.nan, 2


@njit(cache=True, nogil=True)
def pot_loss(T, R_bands, A_bands, R_film, R_wall, A_out, A_in, h_in, liquidus, k_ledge, h,
             emissive, T_amb):
    """The surfaces of the lumped pot's heat balance at melt temperature T [K] in one call
    (cellsim.lumped.thermal.HeatPaths.loss), each face as :func:`surface_loss` (1e-9 K,
    1e-12) in the same arithmetic, so the results are those of one call per face, bit for bit.

    R_bands, A_bands (5,): resistance from the melt [K/W] and outer area [m2] of the faces
    lower band, upper band, gas band, bottom, lid. The electrolyte band: film R_film and wall
    R_wall [K/W], outer and inner areas A_out, A_in [m2]; with its hot face below the
    liquidus a ledge forms (its face at the liquidus passes h_in (T - liquidus) [W/m2], the
    wall behind it found by :func:`wall_behind_ledge`, 1e-9 K, 4 eps).

    Returns (Q (5,) [W], Ts (5,) [K], salt band Q [W], ledge [m], salt band Ts [K], status,
    which): ``which`` the failing root (0-4 the faces as above, 5 the salt band's surface, 6
    the wall behind the ledge, 7 the surface behind the ledge, -1 none) and ``status`` its
    code (module docstring).
    """
    Q = np.empty(5)
    Ts = np.empty(5)
    for i in range(5):
        q, t, status = surface_loss(T, R_bands[i], A_bands[i], h, emissive, T_amb, 1e-9, 1e-12)
        if status:
            return Q, Ts, math.nan, math.nan, math.nan, status, i
        Q[i] = q
        Ts[i] = t
    q_salt, ts_salt, status = surface_loss(T, R_film + R_wall, A_out, h, emissive, T_amb, 1e-9, 1e-12)
    if status:
        return Q, Ts, math.nan, math.nan, math.nan, status, 5
    T_hot_face = T - q_salt / (h_in * A_in)
    if T_hot_face >= liquidus:
        return Q, Ts, q_salt, 0.0, ts_salt, 0, -1
    q = h_in * (T - liquidus)
    q_salt = q * A_in
    T_wall, status = wall_behind_ledge(q_salt, R_wall, A_out, h, emissive, T_amb, T_amb + 1e-6,
                                       liquidus, 1e-9, EPS4)
    if status:
        return Q, Ts, math.nan, math.nan, math.nan, status, 6
    ledge = k_ledge * (liquidus - T_wall) / q
    _, ts_salt, status = surface_loss(T_wall, R_wall, A_out, h, emissive, T_amb, 1e-9, 1e-12)
    if status:
        return Q, Ts, math.nan, math.nan, math.nan, status, 7
    return Q, Ts, q_salt, ledge, ts_salt, 0, -1


# The lumped heat balance in one kernel (cellsim.lumped.providers.SteadyHeatBalance): the
# cell's Joule heat less the pot's losses and the feed's heating at a melt temperature T, in
# the arithmetic of the Python providers it stands for (SlabElectrical.at with
# electrical.voltage_breakdown, HeatPaths.loss, thermo.feed_heating), and Brent's root of it,
# so a heat balance costs one kernel call instead of a Python callback per temperature.
# ``el`` (float array) holds what the electrical terms need besides T:
#   0 I [A], 1 j = I / A [A/m2], 2-5 the voltage terms that do not depend on T (anode alloy,
#   cathode metal and collectors ohmic, external) [V], 6 the electrolyte's conductivity at
#   its reference temperature [S/m], 7 -Ea / R [K], 8 1 / T_ref [1/K], 9 ACD [m], 10 area
#   [m2], 11-12 anode and cathode exchange current densities [A/m2], 13-14 alpha_a, alpha_c,
#   15 1 for linear kinetics (0 Butler-Volmer), 16 n F [C/mol], 17 R [J/(mol K)],
#   18 ln(a_Al cathode / a_Al alloy), 19 the rods' Joule heat leaving at the clamps [W];
# ``heat`` (float array) what the losses and the feed need besides T and the faces:
#   0-9 the electrolyte band's arguments of pot_loss (R_film ... T_amb), 10 the rods'
#   conductance k A [W m/K], 11 their cold-end temperature [K], 12 their length [m], 13 the
#   feed [kg/s], 14 the feed's enthalpy at its temperature [J/kg], 15 Al's melting point [K],
#   16 its mean solid cp [J/(kg K)], 17 the enthalpy's reference temperature [K], 18 the
#   liquid's enthalpy at the melting point [J/kg], 19 the liquid cp [J/(kg K)].
# The terms (``out``, BALANCE_TERMS entries): 0 the margin (Joule heat - losses - feed [W]),
# 1-8 the voltage terms in electrical.VOLTAGE_TERMS order [V], 9 the Joule heat [W], 10-13
# the losses side, bottom, lid, collectors (with the clamps' heat) [W], 14 the ledge [m],
# 15 the mean shell temperature [K], 16 the feed's heating [W].
BALANCE_TERMS = 17


@njit(cache=True, nogil=True)
def slab_overpotential(j, i0, alpha_a, alpha_c, f):
    """Magnitude of the Butler-Volmer overpotential [V] that drives |j| [A/m2] with
    f = n F / (R T) [1/V]: Newton from the symmetric (asinh) solution, exact when alpha_a =
    alpha_c (cellsim.lumped.electrical.overpotential, whose arithmetic this is)."""
    j = abs(j)
    alpha = 0.5 * (alpha_a + alpha_c)
    eta = math.asinh(j / (2.0 * i0)) / (alpha * f)
    for _ in range(50):
        ea, ec = math.exp(alpha_a * f * eta), math.exp(-alpha_c * f * eta)
        residual = i0 * (ea - ec) - j
        slope = i0 * f * (alpha_a * ea + alpha_c * ec)
        step = residual / slope
        eta -= step
        if abs(step) <= 1e-14 * max(eta, 1e-12):
            break
    return eta


@njit(inline="always", cache=True)
def _overpotential(j, i0, alpha_a, alpha_c, f, linear):
    if linear:
        return abs(j) / ((alpha_a + alpha_c) * f * i0)
    return slab_overpotential(j, i0, alpha_a, alpha_c, f)


@njit(cache=True, nogil=True)
def heat_balance(T, el, R_bands, A_bands, heat, out):
    """The heat balance's terms at melt temperature T [K] into ``out`` (BALANCE_TERMS; see
    the comment above); R_bands, A_bands as in :func:`pot_loss`. Returns (status, which) of
    pot_loss (0, -1: done)."""
    I = el[0]
    kappa = el[6] * math.exp(el[7] * (1.0 / T - el[8]))
    v_salt = I * (el[9] / (kappa * el[10]))
    f = el[16] / (el[17] * T)
    linear = el[15] != 0.0
    eta_a = _overpotential(el[1], el[11], el[13], el[14], f, linear)
    eta_c = _overpotential(el[1], el[12], el[13], el[14], f, linear)
    rev = el[17] * T / el[16] * el[18]
    cell = v_salt + el[2] + el[3] + el[4] + eta_a + eta_c + rev + el[5]
    joule = I * (cell - el[5])
    Q, Ts, q_salt, ledge, ts_salt, status, which = pot_loss(
        T, R_bands, A_bands, heat[0], heat[1], heat[2], heat[3], heat[4], heat[5], heat[6],
        heat[7], heat[8], heat[9])
    if status:
        return status, which
    rods = heat[10] * (T - heat[11]) / heat[12]
    side = Q[0] + q_salt + Q[1] + Q[2]
    collectors = rods + el[19]
    if T < heat[15]:
        H = heat[16] * (T - heat[17])
    else:
        H = heat[18] + heat[19] * (T - heat[15])
    sink = heat[13] * (H - heat[14])
    out[0] = joule - (side + Q[3] + Q[4] + collectors) - sink
    out[1] = v_salt
    out[2] = el[2]
    out[3] = el[3]
    out[4] = el[4]
    out[5] = eta_a
    out[6] = eta_c
    out[7] = rev
    out[8] = el[5]
    out[9] = joule
    out[10] = side
    out[11] = Q[3]
    out[12] = Q[4]
    out[13] = collectors
    out[14] = ledge
    out[15] = (Ts[0] + ts_salt + Ts[1] + Ts[2]) / 4.0
    out[16] = sink
    return 0, -1


@njit(cache=True, nogil=True)
def heat_balance_root(lo, hi, offset, xtol, el, R_bands, A_bands, heat):
    """The melt temperature T on [lo, hi] where the heat balance's margin plus ``offset`` [W]
    (a heater's power) vanishes, to xtol [K] + 4 eps T (Brent, as scipy.optimize.brentq with
    its default rtol and 100 iterations). Returns (T, status, which): status as the module
    docstring's, or a failing pot_loss's (with ``which`` its face; status 3 also a residual
    that is not a number)."""
    out = np.empty(BALANCE_TERMS)
    xpre, xcur = lo, hi
    status, which = heat_balance(xpre, el, R_bands, A_bands, heat, out)
    if status:
        return math.nan, status, which
    fpre = out[0] + offset
    status, which = heat_balance(xcur, el, R_bands, A_bands, heat, out)
    if status:
        return math.nan, status, which
    fcur = out[0] + offset
    if math.isnan(fpre) or math.isnan(fcur):
        return math.nan, 3, -1
    if fpre * fcur > 0.0:
        return math.nan, 1, -1
    if fpre == 0.0:
        return xpre, 0, -1
    if fcur == 0.0:
        return xcur, 0, -1
    xblk = fblk = spre = scur = 0.0
    for _ in range(100):
        done, xpre, fpre, xcur, fcur, xblk, fblk, spre, scur = _brent_next(
            xpre, fpre, xcur, fcur, xblk, fblk, spre, scur, xtol, EPS4)
        if done:
            return xcur, 0, -1
        status, which = heat_balance(xcur, el, R_bands, A_bands, heat, out)
        if status:
            return math.nan, status, which
        fcur = out[0] + offset
        if math.isnan(fcur):
            return math.nan, 3, -1
    return math.nan, 2, -1
