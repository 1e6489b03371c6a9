"""One backward-Euler step of the lumped three-pool impurity exchange in one call.

``film_exchange`` does, element by element, what ``cellsim.lumped.providers.FilmExchange``
does with ``cellsim.lumped.chemistry`` on arrays over the impurities: the interface ratios
(``interface_ratio``) at both metals, the partition coefficients S from them and the pools'
molar concentrations, the film
conductances (``film_conductance``) and the tridiagonal backward-Euler step
(``exchange_step``, with the continuous feed as a source), in the same floating-point
operations, so the step is the same bit for bit at a fraction of the Python cost of some
forty small array operations (NumPy's exp and power are the C library's on this
project's machines; where NumPy vectorises them the ratios may differ by an ulp).
"""

import math

from numba import njit
import numpy as np


@njit(cache=True, nogil=True)
def film_exchange(m_alloy, m_salt, m_cath, molar_mass, V_alloy, V_salt, V_cath, nF, n3, dE,
                  RT, gamma, a_alx3, a_al_a, a_al_c, c_salt, c_alloy, c_cath, area, k_salt,
                  k_metal_a, k_metal_c, dt, feed):
    """The pools after dt [s] and the mean fluxes over it.

    m_alloy, m_salt, m_cath (n,): kg of each impurity in the anode alloy, the electrolyte
    and the cathode metal; molar_mass (n,) [kg/mol]; V_* the pools' volumes [m3]. The
    equilibrium x_salt / x_metal at each metal, gamma a_AlX3^(n/3) exp(-n F dE / R T) /
    a_Al^(n/3): nF (n,) -n F [C/mol], n3 (n,) n/3, dE (n,) [V], RT = R T [J/mol], gamma (n,)
    the alloy's activity coefficients (1 in the cathode metal), a_alx3 the electrolyte's AlX3
    activity, a_al_a and a_al_c the Al activities of the alloy and the cathode metal;
    c_salt, c_alloy, c_cath: the pools' molar concentrations [mol/m3]; area [m2]; k_salt,
    k_metal_a, k_metal_c: film mass-transfer coefficients [m/s]; feed (n,) [kg/s] into the
    alloy over the step (size 0: none).
    Returns (alloy, salt, cathode) kg (n,) and the fluxes alloy->salt and salt->cathode
    [mol/s] (n,).
    """
    n = m_alloy.size
    out_a, out_s, out_c = np.empty(n), np.empty(n), np.empty(n)
    flux_a, flux_c = np.empty(n), np.empty(n)
    for i in range(n):
        M = molar_mass[i]
        boltzmann = math.exp(nF[i] * dE[i] / RT)
        x_ratio_a = gamma[i] * a_alx3 ** n3[i] * boltzmann / a_al_a ** n3[i]
        x_ratio_c = 1.0 * a_alx3 ** n3[i] * boltzmann / a_al_c ** n3[i]
        S_a = x_ratio_a * c_salt / c_alloy
        S_c = x_ratio_c * c_salt / c_cath
        g_a = area / (1.0 / k_salt + S_a / k_metal_a)
        g_c = area / (1.0 / k_salt + S_c / k_metal_c)
        a = g_a * S_a / V_alloy  # alloy -> salt, per mol in alloy [1/s]
        b = g_a / V_salt  # salt -> alloy
        c = g_c / V_salt  # salt -> cathode
        d = g_c * S_c / V_cath  # cathode -> salt
        r0 = m_alloy[i] / M
        if feed.size:
            r0 = r0 + dt * (feed[i] / M)
        n_salt = m_salt[i] / M
        n_cath = m_cath[i] / M
        x0, x1, x2 = _three_pools(a, b, c, d, dt, r0, n_salt, n_cath)
        flux_a[i] = (r0 - x0) / dt
        flux_c[i] = (x2 - n_cath) / dt
        out_a[i] = x0 * M
        out_s[i] = x1 * M
        out_c[i] = x2 * M
    return out_a, out_s, out_c, flux_a, flux_c


@njit(inline="always", cache=True)
def _three_pools(a, b, c, d, dt, r0, n_salt, n_cath):
    """The backward-Euler step of the three pools (alloy, salt, cathode) of one element:
    (I - dt M) x = (r0, n_salt, n_cath) with M's rates a (alloy -> salt, per mol in the
    alloy), b (salt -> alloy), c (salt -> cathode), d (cathode -> salt) [1/s]; r0 the alloy's
    moles plus dt times its feed. I - dt M is tridiagonal and its columns' off-diagonals sum
    to less than their diagonal (M's columns sum to zero): Gaussian elimination without
    pivoting, which a pivoting LU does on it too. Returns the moles x0, x1, x2."""
    d0, u0 = 1.0 + dt * a, -(dt * b)
    l1, d1, u1 = -(dt * a), 1.0 + dt * (b + c), -(dt * d)
    l2, d2 = -(dt * c), 1.0 + dt * d
    m1 = l1 / d0
    d1 = d1 - m1 * u0
    r1 = n_salt - m1 * r0
    m2 = l2 / d1
    d2 = d2 - m2 * u1
    r2 = n_cath - m2 * r1
    x2 = r2 / d2
    x1 = (r1 - u1 * x2) / d1
    x0 = (r0 - u0 * x1) / d0
    return x0, x1, x2


@njit(cache=True, nogil=True)
def three_pool_step(a, b, c, d, dt, r0, n_salt, n_cath):
    """``_three_pools`` element by element: a, b, c, d, r0, n_salt, n_cath (n,) as there,
    dt [s]. Returns the new moles (alloy, salt, cathode), each (n,)
    (cellsim.lumped.chemistry.exchange_step's elimination)."""
    n = a.size
    x0, x1, x2 = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        x0[i], x1[i], x2[i] = _three_pools(a[i], b[i], c[i], d[i], dt, r0[i], n_salt[i], n_cath[i])
    return x0, x1, x2


# --------------------------------------------------------------------------------------------
# The field levels' exchange ratios (cellsim.fields.species.SpeciesField.exchange_ratios).


@njit(cache=True, nogil=True)
def _interp(x, nodes, values, slopes, k):
    """np.interp(x, nodes, values[:, k]) in NumPy's arithmetic: the end values outside the
    nodes, a node's value on it, else slopes[j, k] (x - nodes[j]) + values[j, k] with
    slopes[j, k] = (values[j + 1, k] - values[j, k]) / (nodes[j + 1] - nodes[j])."""
    m = nodes.size
    if m == 1 or x <= nodes[0]:
        return values[0, k]
    if x >= nodes[m - 1]:
        return values[m - 1, k]
    lo, hi = 0, m - 1  # nodes[lo] <= x < nodes[hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if nodes[mid] <= x:
            lo = mid
        else:
            hi = mid
    if nodes[lo] == x:
        return values[lo, k]
    return slopes[lo, k] * (x - nodes[lo]) + values[lo, k]


@njit(cache=True, nogil=True)
def face_exchange_ratios(T, T_uniform, salt_flat, fc_x, fc_y, fc_z, axis, face_flat, sign, area, depletion,
                         depletion_scale, x_al, activity_al, nodes, values, slopes, offsets, nF, n3, RT_unit,
                         gamma, a_alx3, c_salt, c_total, out):
    """S = (x_salt / x_metal at equilibrium) (surface enrichment) c_salt / c_metal of every
    interface face and impurity, as ``SpeciesField.exchange_ratios`` computes it with NumPy
    (cellsim.lumped.chemistry.interface_ratio at the face's salt-cell temperature and surface
    Al activity), in the same floating-point operations.

    T : cell temperatures [K], flat over the grid (``T_uniform``: T[0] everywhere);
    salt_flat (m,) flat grid index of each face's salt cell; fc_x, fc_y, fc_z the flat face
    currents [A] per axis (read where ``depletion``); axis, face_flat, sign, area (m,) the
    faces' axis, flat face index, orientation (+1: metal on the low side) and area [m2];
    depletion_scale = 3 F k_metal c_total [A/m2]; x_al, activity_al the pool's Al mole
    fraction and activity; nodes (M,), values (M, K), slopes (M - 1, K) the exchange
    potentials' table [K], [V] (one node: constant), offsets (K,) [V]; nF (K,) -n F
    [C/mol]; n3 (K,) n/3; RT_unit the gas constant [J/mol/K]; gamma (K,); a_alx3 the AlX3
    activity; c_salt, c_total molar concentrations of the salt and the pool [mol/m3];
    out (K, m) written. Returns -1, or the first face whose surface Al mole fraction is
    <= 0 (the current density exceeds the metal film's Al mass-transfer limit)."""
    n_faces = salt_flat.size
    K = nF.size
    for f in range(n_faces):
        t = T[0] if T_uniform else T[salt_flat[f]]
        enrich = 1.0
        if depletion:
            a = axis[f]
            F = fc_x[face_flat[f]] if a == 0 else (fc_y[face_flat[f]] if a == 1 else fc_z[face_flat[f]])
            j_out = sign[f] * F / area[f]
            enrich = np.exp(j_out / depletion_scale)
        x_surface = 1.0 - (1.0 - x_al) * enrich
        if x_surface <= 0.0:
            return f
        a_al = activity_al * x_surface / x_al if x_al > 0.0 else x_surface
        for k in range(K):
            dE = _interp(t, nodes, values, slopes, k) + offsets[k]
            exponent = nF[k] * dE / (RT_unit * t)
            ratio = gamma[k] * a_alx3 ** n3[k] * np.exp(exponent) / a_al ** n3[k]
            out[k, f] = ratio * enrich * c_salt / c_total
    return -1
