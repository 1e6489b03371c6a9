"""The lumped (0D) providers of ``cellsim.contracts``: uniform slabs, one heat balance, films.

* :class:`SlabElectrical`: the voltage terms of uniform slabs (``cellsim.lumped.electrical``);
* :class:`SteadyHeatBalance`: the electrolyte temperature from the steady heat balance of the
  pot (``cellsim.lumped.thermal``) with the heater holding the set point, within
  ``operation.heater_max_power``;
* :class:`FilmExchange`: the three-pool film exchange of the dissolved impurities
  (``cellsim.lumped.chemistry``).

They keep no state of their own (the cell's state is all they read), so their checkpoint is
empty and their mesh hooks do nothing.
"""

from __future__ import annotations

import math
import numpy as np
from scipy.optimize import brentq

from ..contracts import CellView, ElectricalPoint, ExchangeStep, Layers, OperatingPoint
from ..elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from ..kernels import exchange as exchange_kernel
from ..kernels import roots
from ..thermo import feed_heating
from ..units import GAS_CONSTANT
from . import chemistry, electrical, thermal

_IMP = slice(1, None)  # impurities within ALL_ELEMENTS arrays
_NO_FEED = np.zeros(0)
_MOLAR_MASSES = np.array([ELEMENTS[x].molar_mass for x in ALL_ELEMENTS])


class Stateless:
    """Mesh and checkpoint hooks of a provider that keeps no state."""

    def __init__(self, config, mesh=None):
        self.config = config

    def rebuilt(self, cell: CellView, old) -> None:
        pass

    def reset_caches(self) -> None:
        pass

    def electrolyte_changed(self, cell: CellView) -> None:
        pass  # the cell's inventory is the only one

    def checkpoint(self) -> dict:
        return {}

    def restore(self, cell: CellView, data: dict) -> None:
        pass


class SlabElectrical(Stateless):
    """Voltage terms of uniform slabs at the electrolyte temperature (lumped level)."""

    solution = None

    def __init__(self, config, mesh=None):
        super().__init__(config, mesh)
        self._fixed = (None, None, None, None)  # (config, current, layers, their resistances)

    def update(self, cell: CellView, thermal_provider) -> None:
        pass

    def at(self, cell: CellView, layers: Layers, temperature: float) -> ElectricalPoint:
        """The voltage terms (``electrical.voltage_breakdown``) at ``temperature``; the
        resistances that do not depend on it are kept for the configuration, current and
        layers (a heat balance tries many temperatures on them)."""
        cfg, I = cell.config, cell.current
        fixed = self._fixed
        if fixed[0] is not cfg or fixed[1] != I or fixed[2] is not layers:
            R = electrical.resistances(cfg, temperature, layers.alloy_depth, layers.cathode_depth)
            self._fixed = (cfg, I, layers, R)
        else:
            R = electrical.at_temperature(fixed[3], cfg, temperature)
        V = electrical.voltage_breakdown(cfg, I, temperature, R, layers.a_al_alloy, layers.a_al_cathode)
        joule = I * (sum(V.values()) - V["external"])
        return ElectricalPoint(V, joule, 0.5 * I**2 * R.rods)  # half the rods' heat leaves at the clamps

    def balance_args(self, cell: CellView, layers: Layers) -> np.ndarray:
        """What :meth:`at` needs besides the temperature (``electrical.balance_args``), for
        the heat balance's kernel (kernels/roots.heat_balance)."""
        cfg = cell.config
        R = electrical.resistances(cfg, cfg.operation.temperature, layers.alloy_depth,
                                   layers.cathode_depth)
        return electrical.balance_args(cfg, cell.current, R, layers.a_al_alloy, layers.a_al_cathode)


class SteadyHeatBalance(Stateless):
    """Electrolyte temperature from the steady heat balance (lumped level): at the set point
    with the heater making up a deficit; above it when Joule heat is in surplus; below it
    when the heater (``operation.heater_max_power``) cannot hold it; frozen (liquid fraction
    0) when no liquid steady state exists. The lining's heat paths are those of
    ``cellsim.lumped.thermal``, scaled by the shape factors of one field solve with
    ``numerics.heat_paths = "field"`` (``cellsim.lumped.calibration``)."""

    def __init__(self, config, mesh=None):
        super().__init__(config, mesh)
        self.calibrated = None
        # The shape factors are the configured pot's (geometry, lining, melts at the start): the
        # configuration of the moment follows the salt's composition (cellsim.electrolyte), and
        # keying on it recalibrated at each property move (77 field solves in a 45-day UBC run,
        # three quarters of a UQ sample's time). The lining estimate they scale follows the pot
        # of the moment, and the factors follow the height of the metal top (anode alloy, ACD,
        # cathode metal: calibration.shape_factors).
        self._pot = config
        self._factors = None
        # the heat balance in one kernel call per root (roots.heat_balance); False: the
        # providers' Python at every temperature (the definition the kernel is tested against)
        self.kernel = True
        if config.numerics.heat_paths == "field":  # shape factors from one field solve
            from .calibration import calibrated, factors

            self.calibrated, self.factors = calibrated, factors

    def start(self, cell: CellView, layers: Layers, electrical_provider) -> None:
        pass

    def settle(self, cell: CellView, electrical_provider) -> None:
        pass

    def shell_temperature(self) -> float:
        return math.nan

    def step_temperature(self, cell: CellView) -> float:
        return cell.derived.temperature

    def advance(self, cell: CellView, dt: float, electrical_provider) -> float:
        return cell.derived.heater_power

    def operating_point(self, cell: CellView, layers: Layers, electrical_provider) -> OperatingPoint:
        cfg = cell.config
        T_set = cfg.operation.temperature
        feed_unit = cell.state.feed_rate
        paths = thermal.HeatPaths(cfg, layers.alloy_depth, layers.cathode_depth)
        tried = {}  # root finders revisit their end points: each temperature is evaluated once
        if self.calibrated is not None and self._factors is None:
            self._factors = self.factors(self._pot)
        k = self._factors
        T_feed = cfg.scrap.feed_temperature
        top = layers.alloy_depth + self._pot.geometry.acd + layers.cathode_depth  # calibration.metal_top

        # every temperature in one kernel (roots.heat_balance: the same arithmetic as the
        # providers' Python below, which stays for the field-calibrated paths and reports a
        # failing face's error)
        fast = self.kernel and k is None and isinstance(electrical_provider, SlabElectrical)
        if fast:
            el = electrical_provider.balance_args(cell, layers)
            heat = paths.balance_args(feed_unit, T_feed)
            R_bands, A_bands = paths._faces
            terms = np.empty(roots.BALANCE_TERMS)

        def balance(T):
            if T in tried:
                return tried[T]
            if fast and not roots.heat_balance(T, el, R_bands, A_bands, heat, terms)[0]:
                t = terms.tolist()
                tried[T] = out = (t[0], dict(zip(electrical.VOLTAGE_TERMS, t[1:9])),
                                  thermal.HeatLoss(*t[10:16]), t[9], t[16])
                return out
            point = electrical_provider.at(cell, layers, T)
            loss = paths.loss(T)
            if k is not None:
                loss = self.calibrated(self._pot, loss, top, k)
            sink = feed_unit * feed_heating(T_feed, T)
            loss = thermal.HeatLoss(loss.side, loss.bottom, loss.lid,
                                    loss.collectors + point.clamp_heat, loss.ledge_thickness,
                                    loss.shell_temperature)
            tried[T] = out = (point.joule_heat - loss.total - sink, point.voltage, loss,
                              point.joule_heat, sink)
            return out

        def margin_at(T):  # balance(T)[0], without building the operating point's objects
            if fast and T not in tried and not roots.heat_balance(T, el, R_bands, A_bands, heat,
                                                                   terms)[0]:
                return terms[0]
            return balance(T)[0]

        def root(offset, lo, hi):  # the margin plus offset vanishes on [lo, hi] (Brent, 1e-6 K)
            if fast:
                T, status, _ = roots.heat_balance_root(lo, hi, offset, 1e-6, el, R_bands, A_bands,
                                                       heat)
                if not status:
                    return T
            # scipy's brentq: the same iterates; raises the error of a failing face or root
            return brentq(lambda x: balance(x)[0] + offset, lo, hi, xtol=1e-6)

        margin, V, loss, joule, sink = balance(T_set)
        T, heater = T_set, max(-margin, 0.0)
        liquid = math.nan
        P_max = cfg.operation.heater_max_power
        if P_max is not None and heater > P_max:  # the heater cannot hold the set point
            heater = P_max
            T_low = cfg.electrolyte.liquidus + 1e-3  # the ledge model needs T above the liquidus
            if balance(T_low)[0] + P_max >= 0.0:
                T = root(P_max, T_low, T_set)
            else:  # no liquid steady state: the electrolyte freezes
                T, liquid = T_low, 0.0
            _, V, loss, joule, sink = balance(T)
        elif margin > 0.0:  # surplus: the electrolyte settles above the set point
            hi = T_set + 50.0
            while margin_at(hi) > 0.0:
                hi += 100.0
                if hi > T_set + 1000.0:
                    raise RuntimeError("heat balance has no solution within 1000 K of the set point")
            T = root(0.0, T_set, hi)
            _, V, loss, joule, sink = balance(T)
        if math.isnan(liquid):
            liquid = _inside_ledge(cfg.geometry, loss.ledge_thickness)
        return OperatingPoint(T, V, loss, joule, sink, heater, margin, liquid)


class FilmExchange(Stateless):
    """Three-pool film exchange of the dissolved impurities (lumped level): each metal and
    the electrolyte well mixed, films at the two interfaces (``cellsim.lumped.chemistry``)."""

    def start(self, cell: CellView) -> None:
        pass

    _gamma_of = (None, None)  # (activity coefficients, their array over IMPURITIES)

    def _gamma(self, coefficients: dict) -> np.ndarray:
        """The alloy's activity coefficients over IMPURITIES (1 where none is given), once
        per configured table."""
        if self._gamma_of[0] is not coefficients:
            self._gamma_of = (coefficients,
                              np.array([coefficients.get(k, 1.0) for k in IMPURITIES]))
        return self._gamma_of[1]

    def electrolyte_inventory(self) -> None:
        return None

    def add(self, masses: np.ndarray, where: str = "electrolyte") -> None:
        """Nothing to do: the cell's inventory is the only representation."""

    def exchange(self, cell: CellView, dt: float, temperature, electrical_provider,
                 alloy_feed: np.ndarray | None = None) -> ExchangeStep:
        """One backward-Euler step of the three pools; ``alloy_feed`` [kg/s per IMPURITIES
        element]: the continuous feed into the alloy over the step, a source of the same
        implicit system."""
        cfg, s, d = cell.config, cell.state, cell.derived
        T, area = temperature, cfg.geometry.area
        el = cfg.electrolyte
        mol_imp = chemistry.MOLAR_MASS
        V_alloy = s.alloy.sum() / d.alloy_density
        V_cath = s.cathode.sum() / ELEMENTS["Al"].liquid_density
        V_electrolyte = area * cfg.geometry.acd
        c_salt = el.density / el.mean_molar_mass
        gamma = self._gamma(cfg.anode_alloy.activity_coefficients)
        molar_masses = _MOLAR_MASSES
        c_alloy = (s.alloy / molar_masses).sum() / V_alloy
        c_cath = (s.cathode / molar_masses).sum() / V_cath
        a_alx3 = cell.alf3_activity()
        dE = chemistry.exchange_potentials(T, el.family, el.potential_offsets, cfg.purity.equilibria)
        # the interface ratios at both metals (chemistry.interface_ratio), S, the films and the
        # backward-Euler step element by element in one kernel (kernels/exchange.film_exchange:
        # the arithmetic of interface_ratio, film_conductance and exchange_step)
        alloy, salt, cath, N_a, N_c = exchange_kernel.film_exchange(
            s.alloy[_IMP], s.electrolyte, s.cathode[_IMP], mol_imp, V_alloy, V_electrolyte, V_cath,
            chemistry._NF, chemistry._N_3, dE, GAS_CONSTANT * T, gamma, a_alx3, d.a_al_alloy,
            d.a_al_cathode, c_salt, c_alloy, c_cath, area, el.mass_transfer_coefficient,
            cfg.anode_alloy.metal_mass_transfer_coefficient,
            cfg.cathode_metal.metal_mass_transfer_coefficient, dt,
            _NO_FEED if alloy_feed is None else alloy_feed)
        return ExchangeStep(alloy, salt, cath, N_a, N_c)


def _inside_ledge(geo, ledge: float) -> float:
    """Fraction of the cavity's plan area inside a sidewall ledge of thickness ``ledge`` [m]."""
    if geo.shape == "cylindrical":
        return max(1.0 - ledge / geo.inner_radius, 0.0) ** 2
    return (max(geo.inner_length - 2 * ledge, 0.0) * max(geo.inner_width - 2 * ledge, 0.0)
            / (geo.inner_length * geo.inner_width))
