"""Impurity exchange between anode alloy, electrolyte and cathode metal (docs/model.md, "Inventories and impurities").

At each metal|salt interface the exchange reaction

    M(metal) + (n/3) AlX3(salt)  =  MXn(salt) + (n/3) Al(metal),   K = exp(-n F dE / R T)

fixes the interface ratio of mole fractions
``x_salt / x_metal = gamma_M a_AlX3^(n/3) K / a_Al^(n/3)`` (dE > 0: nobler than Al). Mass
transfer through a film on each side carries the element to or from the bulk, so the flux
from metal to salt is

    N = A (S c_metal - c_salt) / (1/k_salt + S/k_metal),   S = (x ratio) * cmol_salt / cmol_metal

with molar concentrations c [mol/m3]. Noble elements (S << 1) are salt-film limited: they
deposit at the cathode at their mass-transfer-limited rate and barely leave the alloy while
its Al activity is high. Less noble ones (S >> 1) are metal-film limited at the anode and
co-deposit at the cathode only at their equilibrium share. One formula serves both electrodes.

The three inventories of each element form a linear system dn/dt = M n whose columns sum to
zero; one backward-Euler step conserves the element's total to round-off and stays stable for
the stiff (S >> 1 or << 1) cases.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from ..elements import ELEMENTS, IMPURITIES, delta_E
from ..kernels import exchange as exchange_kernel
from ..units import FARADAY, GAS_CONSTANT

VALENCE = np.array([ELEMENTS[s].valence for s in IMPURITIES], dtype=float)
MOLAR_MASS = np.array([ELEMENTS[s].molar_mass for s in IMPURITIES])
_N_3 = VALENCE / 3.0  # the activities' exponents n/3
_NF = -VALENCE * FARADAY  # -n F [C/mol]


def interface_ratio(T: float, family: str, offsets: dict, a_alx3: float, a_al: float,
                    gamma: np.ndarray, equilibria: str = "fixed_1000K",
                    dE: np.ndarray | None = None) -> np.ndarray:
    """Equilibrium x_salt / x_metal of each impurity at a metal|salt interface (array over IMPURITIES).

    ``a_al`` is the Al activity of the metal at that interface, ``gamma`` the activity
    coefficients of the impurities in it, ``a_alx3`` the AlX3 activity of the electrolyte.
    ``equilibria``: "fixed_1000K" (the 1000 K series) or "janaf" (delta_E(T) of
    cellsim.purity.equilibria; T may then be an array of shape (n, 1)). ``dE``: the
    :func:`exchange_potentials` of these arguments, when the caller has them already.
    """
    if dE is None:
        dE = exchange_potentials(T, family, offsets, equilibria)
    exponent = _NF * dE / (GAS_CONSTANT * T)
    return gamma * a_alx3 ** _N_3 * np.exp(exponent) / a_al ** _N_3


def exchange_potentials(T, family: str, offsets: dict, equilibria: str = "fixed_1000K") -> np.ndarray:
    """delta_E [V] of each impurity vs Al (array over IMPURITIES; see :func:`interface_ratio`)."""
    if equilibria == "janaf" and np.ndim(T) == 0 and math.isfinite(T):
        # one scalar temperature (the lumped level, every step): every element's table at
        # once, in np.interp's arithmetic (the same values as delta_E element by element)
        return _janaf_table(family).at(float(T)) + _offsets(offsets)
    if equilibria == "janaf":
        from ..purity.equilibria import delta_E as delta_E_T

        dE = np.stack([np.asarray(delta_E_T(s, family, T), dtype=float) + offsets.get(s, 0.0)
                       for s in IMPURITIES], axis=-1)
        if dE.ndim == 3:  # T of shape (n, 1)
            dE = dE[:, 0, :]
    else:
        dE = np.array([delta_E(s, family) + offsets.get(s, 0.0) for s in IMPURITIES])
    return dE


class _JanafTable:
    """delta_E of every impurity (cellsim.purity.equilibria.delta_E) at the table's nodes, as
    one (nodes, impurities) array; an element without a table is constant (its row repeats)."""

    def __init__(self, family: str):
        from ..purity.equilibria import T_NODES, delta_E as delta_E_T

        self.nodes = T_NODES
        self.values = np.stack([np.broadcast_to(np.asarray(delta_E_T(s, family, T_NODES), dtype=float),
                                                T_NODES.shape) for s in IMPURITIES], axis=1)
        x, f = self.nodes, self.values
        self._x = x.tolist()  # the nodes for bisect (np.searchsorted's index, side "right")
        self.slopes = (f[1:] - f[:-1]) / (x[1:] - x[:-1])[:, None]  # per interval, once

    def at(self, T: float) -> np.ndarray:
        """np.interp(T, nodes, column) of every column: the end values outside, the node's
        value on a node, else slope (T - x_j) + f_j with slope (f_j+1 - f_j) / (x_j+1 - x_j)."""
        x, f = self._x, self.values
        if T <= x[0]:
            return f[0].copy()
        if T >= x[-1]:
            return f[-1].copy()
        j = bisect.bisect_right(x, T) - 1
        if x[j] == T:
            return f[j].copy()
        return self.slopes[j] * (T - x[j]) + f[j]


_JANAF: dict[str, _JanafTable] = {}
_OFFSETS: dict = {}


def _janaf_table(family: str) -> _JanafTable:
    table = _JANAF.get(family)
    if table is None:
        table = _JANAF[family] = _JanafTable(family)
    return table


def _offsets(offsets: dict) -> np.ndarray:
    """The potential offsets of every impurity as an array (0 where none is given)."""
    key = tuple(sorted(offsets.items()))
    out = _OFFSETS.get(key)
    if out is None:
        out = _OFFSETS[key] = np.array([offsets.get(s, 0.0) for s in IMPURITIES])
    return out


def film_conductance(area: float, S: np.ndarray, k_salt: float, k_metal: float) -> np.ndarray:
    """Overall conductance A / (1/k_salt + S/k_metal) [m3/s] per element."""
    return area / (1.0 / k_salt + S / k_metal)


def exchange_step(n_alloy, n_salt, n_cath, V_alloy, V_salt, V_cath, S_anode, S_cathode,
                  g_anode, g_cathode, dt, feed_alloy=None):
    """One backward-Euler step of the three-pool exchange for every impurity.

    Parameters are arrays over IMPURITIES: moles in each pool [mol], the pools' volumes [m3]
    (scalars), partition coefficients S (salt/metal molar-concentration ratios) and film
    conductances g [m3/s]; dt [s]; ``feed_alloy`` [mol/s] (None: none): a source into the
    alloy over the step (the continuous scrap feed), dn/dt = M n + f, solved in the same
    implicit step, (I - dt M) n_new = n_old + dt f. Returns the new moles (alloy, salt,
    cathode) and the mean fluxes over the step, alloy->salt and salt->cathode [mol/s].
    """
    a = g_anode * S_anode / V_alloy  # alloy -> salt, per mol in alloy [1/s]
    b = g_anode / V_salt  # salt -> alloy, per mol in salt
    c = g_cathode / V_salt  # salt -> cathode
    d = g_cathode * S_cathode / V_cath  # cathode -> salt
    r0 = n_alloy if feed_alloy is None else n_alloy + dt * feed_alloy
    # I - dt M is tridiagonal: the elimination of the lumped step's kernel
    # (kernels/exchange._three_pools), element by element
    args = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, d, r0, n_salt, n_cath)))
    shape = args[0].shape
    a_, b_, c_, d_, r0_, s_, k_ = (np.ascontiguousarray(v).reshape(-1) for v in args)
    x0, x1, x2 = (x.reshape(shape) for x in exchange_kernel.three_pool_step(
        a_, b_, c_, d_, float(dt), r0_, s_, k_))
    flux_anode = (r0 - x0) / dt
    flux_cathode = (x2 - n_cath) / dt
    return x0, x1, x2, flux_anode, flux_cathode


def sludge_excess(mass_element: float, mass_total: float, solubility: float, al_ratio: float) -> float:
    """Mass of an element [kg] that must leave the alloy as sludge to bring it to its solubility.

    The sludge carries ``al_ratio`` kg of Al per kg of element (intermetallic stoichiometry), so
    the excess e solves (m - e) / (M - e (1 + r)) = w_sol.
    """
    excess = (mass_element - solubility * mass_total) / (1.0 - solubility * (1.0 + al_ratio))
    return max(excess, 0.0)
