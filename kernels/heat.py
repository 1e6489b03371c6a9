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

from .parallel import ByThreads

from .linalg import _residual_serial, apply_shifted, pairwise_sum, shifted_residual  # noqa: F401
from .linalg import dot as _dot_threads

_dot_serial = _dot_threads.serial  # ``linalg.dot`` on one thread (HeatSolver._heater_rtol's sums)

ISOTHERMAL_RANGE = 1e-6  # K, mushy interval used for the slope of an isothermal change


@njit(parallel=True, cache=True, nogil=True)
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


@njit(parallel=True, cache=True, nogil=True)
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
def _surface_point(tc, ta, k, hc, es, fx):
    """One face of ``surface_linearisation``: (Ts, q'(Ts), out_value) for a cell at tc [K], ambient
    ta [K], half-cell conductance per area k, convection hc, eps_sigma es, extra flux fx."""
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
    return ts, dq, (ts - q / dq if dq > 0.0 else ta)


@njit(parallel=True, cache=True, nogil=True)
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
        ts, dq, v = _surface_point(t_cell[p], t_amb[p], kappa[p], h[p], eps_sigma[p], flux[p])
        out_ts[p] = ts
        out_h[p] = dq
        out_value[p] = v


@njit(cache=True, nogil=True, error_model="numpy")
def boundary_patch(k, t, cell, axis, face, half, area, h, value, flux, fixed, rad, h0, es, amb, f0,
                   gx, gy, gz, b, out_gb, out_value, out_q):
    """Boundary conductances of the outer faces of a heat step, every side in one pass.

    Per boundary face p (1D arrays of the faces of every side, concatenated side by side):
    cell[p] (int64) its cell in the flat grid, axis[p] (int64, 0-2) and face[p] (int64) its
    face in the flat conductance array of that axis (gx, gy, gz: flat float64 views, patched
    with the face's conductance [W/K]); half [m] the half width of the cell across the face,
    area [m2]; the surface law h [W/(m2 K)] (inf: fixed temperature), value [K], flux
    [W/m2]; fixed (uint8, 1: h is inf); rad (uint8, 1: radiating, linearised about the surface
    temperature with h0, es = emissivity sigma_SB, amb, f0 as ``surface_linearisation``).
    k, t: flat conductivity [W/(m K)] and temperature [K] of the cells. b (flat, float64,
    zeroed by the caller): rhs [W] += gb value - q per face, in face order. Outputs per
    face: out_gb [W/K], out_value [K], out_q [W] (outward flux of the boundary cell is
    gb (T - value) + q). Elementwise the same operations as the NumPy form (docs/heat.md).
    """
    for p in range(cell.size):
        c = cell[p]
        kappa = k[c] / half[p]
        hp, vp = h[p], value[p]
        if rad[p] and not fixed[p]:
            _, hp, vp = _surface_point(t[c], amb[p], kappa, h0[p], es[p], f0[p])
        gb = area[p] / (1.0 / kappa + 1.0 / hp)
        if fixed[p]:
            share = 0.0
        elif hp > 0:
            share = kappa / (kappa + hp)
        else:
            share = 1.0
        qq = flux[p] * share * area[p]
        a = axis[p]
        if a == 0:
            gx[face[p]] = gb
        elif a == 1:
            gy[face[p]] = gb
        else:
            gz[face[p]] = gb
        b[c] += gb * vp - qq
        out_gb[p], out_value[p], out_q[p] = gb, vp, qq


# One thread: the serial twin (the same numbers, compiled in about half the time and
# faster on one thread for these flat loops; kernels/parallel.py). The 3D stencil
# kernels stay parallel only: their serial twins ran 3-8x slower on one thread.
enthalpy_from_temperature = ByThreads(enthalpy_from_temperature)
temperature_from_enthalpy = ByThreads(temperature_from_enthalpy)
surface_linearisation = ByThreads(surface_linearisation)

_temperature_from_enthalpy_serial = temperature_from_enthalpy.serial


@njit(cache=True, nogil=True)
def newton_residual(X, H_old, m, transient, c_s, c_l, t_s, t_l, lat, k, cell, axis, face, half, area,
                    h, value, flux, fixed, rad, h0, es, amb, f0, spans, gx, gy, gz, zero, q, P, qh,
                    first, diag, T, C, d, b, rhs, r, out_gb, out_value, out_q, tmp, tmp_faces, out):
    """One residual evaluation of the heat step's Newton iteration (cellsim.fields.heat,
    HeatSolver._newton) on one thread, in the operations and order of its NumPy form, so
    the same numbers bit for bit (NumPy's sums by ``pairwise_sum``).

    Transient (enthalpy X [J/m3], cell arrays): T, C = T(X), dH/dT (``temperature_from_enthalpy``),
    d = m C; steady: T = X, d = 0. Then the boundary faces (``boundary_patch``: g's boundary
    faces, b zeroed here, out_gb / out_value / out_q per face), rhs = (b + q) + P qh, the
    residual r = rhs - A T (the shift 0: ``zero``), less m (X - H_old) when transient.
    spans: the patch's side boundaries (start of each side, then the end).
    out[0] = sum |r| [W]; out[1] = the boundary flows of the throughput [W] (sum |gb (T - value)
    + q| side by side, the sides' sums added in order); out[4] = sum |m (X - H_old)| [W] (0 when
    steady); out[2] = sum r^2 [W2]; with ``first``: out[3] = sum diag |T| + sum |rhs| (+ 2 sum m |H_old|)
    (the residual's round-off floor / eps). tmp: a cell array of scratch, tmp_faces: one per face.
    """
    n = X.size
    fX, fT, fC, fd = X.reshape(-1), T.reshape(-1), C.reshape(-1), d.reshape(-1)
    fm, fH = m.reshape(-1), H_old.reshape(-1)
    fb, fq, fqh, frhs, fr = b.reshape(-1), q.reshape(-1), qh.reshape(-1), rhs.reshape(-1), r.reshape(-1)
    ft = tmp.reshape(-1)
    lo = np.int64(0)  # the whole arrays' sums (an int64, not a literal 0: one compiled signature)
    if transient:
        _temperature_from_enthalpy_serial(fX, c_s, c_l, t_s, t_l, lat, fT, ft, fC)
        for i in range(n):
            fd[i] = fm[i] * fC[i]
    else:
        for i in range(n):
            fT[i] = fX[i]
            fd[i] = 0.0
    for i in range(n):
        fb[i] = 0.0
    boundary_patch(k.reshape(-1), fT, cell, axis, face, half, area, h, value, flux, fixed, rad, h0, es,
                   amb, f0, gx.reshape(-1), gy.reshape(-1), gz.reshape(-1), fb, out_gb, out_value, out_q)
    for i in range(n):
        frhs[i] = (fb[i] + fq[i]) + P * fqh[i]
    n2 = T.shape[2]
    _residual_serial(gx, gy, gz, zero, T, rhs, r, np.empty(n2))
    flows = 0.0
    for s in range(spans.size - 1):
        for p in range(spans[s], spans[s + 1]):
            tmp_faces[p] = abs(out_gb[p] * (fT[cell[p]] - out_value[p]) + out_q[p])
        flows += pairwise_sum(tmp_faces, spans[s], spans[s + 1] - spans[s])
    out[1] = flows
    out[4] = 0.0
    if transient:
        for i in range(n):
            mx = fm[i] * (fX[i] - fH[i])
            fr[i] -= mx
            ft[i] = abs(mx)
        out[4] = pairwise_sum(ft, lo, n)
    if first:
        fdiag = diag.reshape(-1)
        for i in range(n):
            ft[i] = fdiag[i] * abs(fT[i])
        floor = pairwise_sum(ft, lo, n)
        for i in range(n):
            ft[i] = abs(frhs[i])
        floor += pairwise_sum(ft, lo, n)
        if transient:
            for i in range(n):
                ft[i] = fm[i] * abs(fH[i])
            floor += 2.0 * pairwise_sum(ft, lo, n)
        out[3] = floor
    for i in range(n):
        ft[i] = abs(fr[i])
    out[0] = pairwise_sum(ft, lo, n)
    for i in range(n):
        ft[i] = fr[i] * fr[i]
    out[2] = pairwise_sum(ft, lo, n)


@njit(cache=True, nogil=True)
def enthalpy_update(X, C, dT, h_liq, clip, out):
    """out = X + C dT [J/m3] (flat cell arrays), stopped at the kinks of H(T) it crosses when
    ``clip`` (0 and h_liq, the solidus and liquidus enthalpies): HeatSolver._clip_kinks
    elementwise."""
    for i in range(X.size):
        h0 = X[i]
        h1 = h0 + C[i] * dT[i]
        if clip:
            if (h0 < 0.0 and h1 > 0.0) or (h0 > 0.0 and h1 < 0.0):
                h1 = 0.0
            hl = h_liq[i]
            if (h0 < hl and h1 > hl) or (h0 > hl and h1 < hl):
                h1 = hl
        out[i] = h1


@njit(cache=True, nogil=True)
def heater_sums(cw, T, dT, dw, tmp):
    """(sum cw (T + dT), sum cw dw) of the heater's control update (HeatSolver._newton), C-contiguous
    cell arrays, in NumPy's order (``pairwise_sum``: the same numbers as np.sum); tmp: a
    cell array of scratch."""
    fc, fT, fdT, fdw, ft = cw.reshape(-1), T.reshape(-1), dT.reshape(-1), dw.reshape(-1), tmp.reshape(-1)
    n = fc.size
    lo = np.int64(0)
    for i in range(n):
        ft[i] = fc[i] * (fT[i] + fdT[i])
    mean = pairwise_sum(ft, lo, n)
    for i in range(n):
        ft[i] = fc[i] * fdw[i]
    return mean, pairwise_sum(ft, lo, n)


@njit(inline="always", cache=True)
def _py_max(a, b):
    """Python's max(a, b) of two floats (a unless b > a: the same -0.0 and NaN)."""
    return b if b > a else a


@njit(inline="always", cache=True)
def _py_min(a, b):
    """Python's min(a, b) of two floats (a unless b < a)."""
    return b if b < a else a


# ctl: the scalars of one r-z heat Newton iteration (``newton_test``, ``heater_accuracy``,
# ``newton_update``), in and out
CTL_RTOL, CTL_EPS, CTL_LIN_RTOL, CTL_LIN_RTOL_MAX, CTL_ROOT_N, CTL_Q_ABS = 0, 1, 2, 3, 4, 5
CTL_FLOOR, CTL_LAST, CTL_TARGET, CTL_NEED, CTL_WANT, CTL_RES = 6, 7, 8, 9, 10, 11
CTL_SIZE = 12


@njit(cache=True, nogil=True)
def newton_test(X, H_old, m, transient, c_s, c_l, t_s, t_l, lat, k, cell, axis, face, half, area,
                h, value, flux, fixed, rad, h0, es, amb, f0, spans, gx, gy, gz, zero, q, P, qh,
                first, heater, diag, T, C, d, b, rhs, r, out_gb, out_value, out_q, tmp, tmp_faces, out,
                ctl):
    """One iteration's evaluation and test of the r-z heat Newton (HeatSolver._newton on a
    direct linear solve, one thread), in the operations and order of its Python form:
    ``newton_residual``, then the throughput, the round-off floor (``first``), the target and
    the stall test. Returns 0 when the iteration passes (with a heater only after the first),
    else 1 with ctl[CTL_NEED] and ctl[CTL_WANT] the correction's required and wanted relative
    residual (the Newton test's accuracy: ``want`` between lin_rtol and lin_rtol_max) and
    ctl[CTL_TARGET]; ctl[CTL_LAST] = this residual. ctl: float64[CTL_SIZE] (the CTL_ indices;
    rtol, eps, lin_rtol, lin_rtol_max, sqrt(cells), sum |q| in; the floor kept from the first
    iteration)."""
    newton_residual(X, H_old, m, transient, c_s, c_l, t_s, t_l, lat, k, cell, axis, face, half, area,
                    h, value, flux, fixed, rad, h0, es, amb, f0, spans, gx, gy, gz, zero, q, P, qh,
                    first, diag, T, C, d, b, rhs, r, out_gb, out_value, out_q, tmp, tmp_faces, out)
    res, flows, rr, mx_sum = out[0], out[1], out[2], out[4]
    rtol = ctl[CTL_RTOL]
    scale = ctl[CTL_Q_ABS] + abs(P) + flows  # throughput [W]: physical flows only
    if transient:
        scale += mx_sum
    if first:  # round-off floor of the residual
        ctl[CTL_FLOOR] = out[3] * ctl[CTL_EPS]
    target = _py_max(rtol * scale, ctl[CTL_FLOOR])
    ctl[CTL_TARGET], ctl[CTL_RES] = target, res
    last = ctl[CTL_LAST]
    stalled = res <= 1e3 * rtol * scale and res > 0.3 * last
    if (res <= target or stalled) and (not heater or not first):
        return 0
    ctl[CTL_LAST] = res
    rnorm = np.sqrt(rr)
    lin_rtol = ctl[CTL_LIN_RTOL]
    # ||r||_1 <= sqrt(n) ||r||_2: ask for half the target (HeatSolver._newton)
    want = 0.5 * target / (ctl[CTL_ROOT_N] * rnorm) if rnorm > 0 else lin_rtol
    need = _py_min(_py_max(want, lin_rtol), ctl[CTL_LIN_RTOL_MAX])
    ctl[CTL_NEED], ctl[CTL_WANT] = need, _py_min(need, want)
    return 1


@njit(cache=True, nogil=True)
def heater_accuracy(cw, qh, T, dT, dw, has_dw, set_point, ctl):
    """HeatSolver._heater_rtol on a direct linear solve (no 1-norm check, no remesh floor): the
    relative residual asked of the heater response, from the last response dw (``has_dw``),
    in its operations and order (``linalg.dot``'s serial sums). C-contiguous cell arrays."""
    lin_rtol, lin_rtol_max = ctl[CTL_LIN_RTOL], ctl[CTL_LIN_RTOL_MAX]
    if not has_dw:
        return lin_rtol
    fc, fT, fdT, fw, fq = cw.reshape(-1), T.reshape(-1), dT.reshape(-1), dw.reshape(-1), qh.reshape(-1)
    slope = _dot_serial(fc, fw)
    if not slope > 0.0:
        return lin_rtol
    mean = _dot_serial(fc, fT) + _dot_serial(fc, fdT)
    dP = abs(set_point - mean) / slope
    size = dP * ctl[CTL_ROOT_N] * np.sqrt(_dot_serial(fq, fq))
    if size == 0.0:
        return lin_rtol_max
    rtol = 0.25 * ctl[CTL_TARGET] / size
    return _py_min(_py_max(rtol, lin_rtol), lin_rtol_max)


@njit(cache=True, nogil=True)
def newton_update(X, C, dT, transient, h_liq, clip, heater, cw, T, dw, P, set_point, max_power, tmp,
                  out_X, out_p):
    """The end of an r-z heat Newton iteration (HeatSolver._newton), in its operations and
    order: with a heater, its control update (``heater_sums``; the power solved from the
    control equation, clipped to [0, max_power]; dT += (P_new - P) dw in place), then
    out_X = the enthalpy update (transient: ``enthalpy_update``) or X + dT (steady).
    out_p: float64[2] = (the new power, the control's demand before the clip) [W]."""
    fdT = dT.reshape(-1)
    if heater:
        mean_new, slope = heater_sums(cw, T, dT, dw, tmp)
        want = P + (set_point - mean_new) / slope
        p_new = _py_min(_py_max(want, 0.0), max_power)
        step = p_new - P
        fw = dw.reshape(-1)
        for i in range(fdT.size):
            fdT[i] = fdT[i] + step * fw[i]
        out_p[0], out_p[1] = p_new, want
    else:
        out_p[0], out_p[1] = P, P
    fX, fo = X.reshape(-1), out_X.reshape(-1)
    if transient:
        enthalpy_update(fX, C.reshape(-1), fdT, h_liq.reshape(-1), clip, fo)
    else:
        for i in range(fX.size):
            fo[i] = fX[i] + fdT[i]
