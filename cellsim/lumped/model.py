"""The lumped (0D) cell model: state, derived quantities, and one time step.

The model holds physics and state; the campaign runner (``cellsim.campaign``) owns the clock,
schedules (feed batches, taps), stop criteria and recording. ``update_state()`` recomputes
everything derived from the inventories (idempotent: calling it twice changes nothing);
``step(dt)`` advances the inventories by dt and calls ``update_state()``.

Inventories are masses [kg] per element (``ALL_ELEMENTS`` order, Al first) for the anode
alloy, the cathode metal and the sludge; dissolved impurities in the salt per ``IMPURITIES``.
Every transfer moves mass from one inventory to another, so element totals are conserved to
round-off (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import brentq

from ..config.schema import Config
from ..config.validate import alloy_density
from ..electrolyte import COMPONENTS, OutOfRange, SaltProvider
from ..elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from ..thermo import feed_heating
from ..units import FARADAY
from . import chemistry, electrical, thermal

M_AL = ELEMENTS["Al"].molar_mass
M_ALF3 = COMPONENTS["AlF3"].molar_mass  # kg/mol, the salt components' (halogen balance to round-off)
LEDGER_TERMS = electrical.VOLTAGE_TERMS + ("auxiliary_heat", "mg_removal")
_MG = ALL_ELEMENTS.index("Mg")
_IMP = slice(1, None)  # impurities within ALL_ELEMENTS arrays


def composition_array(fractions: dict[str, float]) -> np.ndarray:
    """Mass fractions over ALL_ELEMENTS from an impurity dict (Al is the balance)."""
    w = np.array([fractions.get(s, 0.0) for s in ALL_ELEMENTS])
    w[0] = 1.0 - w[1:].sum()
    return w


def mole_fractions(masses: np.ndarray) -> np.ndarray:
    moles = masses / np.array([ELEMENTS[s].molar_mass for s in ALL_ELEMENTS])
    return moles / moles.sum()


@dataclass
class CellState:
    """Inventories and cumulative flows of a campaign (all SI, masses in kg)."""

    time: float
    alloy: np.ndarray
    salt: np.ndarray
    cathode: np.ndarray
    alf3: float
    salt_base: float
    sludge: np.ndarray = field(default_factory=lambda: np.zeros(len(ALL_ELEMENTS)))
    scrap_metal: np.ndarray = field(default_factory=lambda: np.zeros(len(ALL_ELEMENTS)))
    scrap_fed: float = 0.0
    tapped: np.ndarray = field(default_factory=lambda: np.zeros(len(ALL_ELEMENTS)))
    bled: np.ndarray = field(default_factory=lambda: np.zeros(len(ALL_ELEMENTS)))  # alloy bleeds
    refilled: np.ndarray = field(default_factory=lambda: np.zeros(len(ALL_ELEMENTS)))  # fresh alloy
    alf3_added: float = 0.0
    base_salt_added: float = 0.0
    charge: float = 0.0
    back_reaction: float = 0.0  # kg of Al returned from cathode to alloy
    energy: dict = field(default_factory=lambda: {k: 0.0 for k in LEDGER_TERMS})
    feed_rate: float = 0.0  # kg/s of scrap metal over the last step
    # salt care (cellsim.electrolyte): kg per IMPURITIES element or kg of salt
    salt_precipitate: np.ndarray = field(default_factory=lambda: np.zeros(len(IMPURITIES)))
    salt_removed: np.ndarray = field(default_factory=lambda: np.zeros(len(IMPURITIES)))
    salt_removed_base: float = 0.0
    salt_removed_alf3: float = 0.0
    salt_fresh_base: float = 0.0
    salt_fresh_alf3: float = 0.0
    salt_renewals: int = 0
    # Mg removed from the scrap before feeding [kg], its reagent [kg] and the Al lost with it [kg]
    mg_removed: float = 0.0
    mg_removal_reagent: float = 0.0
    mg_removal_al_loss: float = 0.0


@dataclass(frozen=True, slots=True)
class Derived:
    """Quantities computed from the state by ``update_state`` (SI)."""

    alloy_depth: float
    cathode_depth: float
    alloy_density: float
    a_al_alloy: float
    a_al_cathode: float
    temperature: float
    voltage: dict
    heat: thermal.HeatLoss
    joule_heat: float  # W released inside the pot (I times the internal voltage)
    feed_sink: float  # W to heat and melt the scrap
    heater_power: float  # W
    heat_margin: float  # W of surplus at the set point (negative: heater needed)
    liquid_fraction: float = math.nan  # liquid volume fraction of the electrolyte (lumped level)

    @property
    def cell_voltage(self) -> float:
        return sum(self.voltage.values())


class LumpedModel:
    level = "lumped"

    def __init__(self, config: Config):
        self.config = self.base_config = config
        self.electrolyte = SaltProvider(config)
        self.electrolyte_stop: str | None = None
        geo = config.geometry
        w_alloy = composition_array(config.anode_alloy.initial_composition)
        rho_alloy = alloy_density(config.anode_alloy.initial_composition)
        alloy_mass = rho_alloy * geo.area * geo.anode_alloy_depth
        cath_mass = ELEMENTS["Al"].liquid_density * geo.area * geo.cathode_metal_depth
        salt_mass = config.electrolyte.density * geo.area * geo.acd
        alf3 = config.electrolyte.alf3_mass_fraction * salt_mass
        self.al_setpoint = w_alloy[0] * alloy_mass
        self.cathode_residual = cath_mass
        self.alf3_setpoint = alf3
        self.alf3_w0 = alf3 / (alf3 + (salt_mass - alf3))  # same expression as alf3_fraction()
        refill = config.schedule.bleed_refill_composition
        self.refill_w = composition_array(config.anode_alloy.initial_composition if refill is None
                                          else refill)
        self.scrap_w, self.mg_removal_per_metal = _demagged(config.scrap)
        self.salt_volume = geo.area * geo.acd
        self.current = config.operation.current  # A; the runner's current program may change it
        self.state = CellState(
            time=0.0, alloy=w_alloy * alloy_mass, salt=np.zeros(len(IMPURITIES)),
            cathode=composition_array(config.cathode_metal.initial_composition) * cath_mass,
            alf3=alf3, salt_base=salt_mass - alf3)
        self.state.feed_rate = self.nominal_feed_rate()
        self.initial = self.totals()
        self.refresh_electrolyte()
        self.update_state()

    # ----------------------------------------------------------------- derived quantities
    def nominal_feed_rate(self) -> float:
        """Scrap metal feed [kg/s] that replaces Al dissolved at 100 % current efficiency."""
        return self.current / (3 * FARADAY) * M_AL / self.scrap_w[0]

    def totals(self) -> np.ndarray:
        """Mass of each element [kg] in all inventories and what has left (taps, sludge, alloy
        bleeds), less what came in (scrap, fresh alloy, AlF3 make-up and additions): constant
        over a campaign (conservation test)."""
        s = self.state
        alf3 = s.alf3 - s.alf3_added + s.salt_removed_alf3 - s.salt_fresh_alf3
        salt = np.concatenate([[alf3 * M_AL / M_ALF3], s.salt + s.salt_precipitate + s.salt_removed])
        return (s.alloy + salt + s.cathode + s.sludge + s.tapped + s.bled
                - s.scrap_metal - s.refilled)

    def salt_component_totals(self) -> np.ndarray:
        """Base salt and AlX3 [kg] in the pot plus removed less added (renewals, additions,
        make-up), with the AlX3 the anodic exchange used counted back: constant over a campaign."""
        s = self.state
        used = np.dot(chemistry.VALENCE / 3.0, (s.salt + s.salt_precipitate + s.salt_removed)
                      / chemistry.MOLAR_MASS) * M_ALF3  # kg AlX3 turned into impurity halides
        return np.array([s.salt_base + s.salt_removed_base - s.salt_fresh_base - s.base_salt_added,
                         s.alf3 + s.salt_removed_alf3 - s.salt_fresh_alf3 - s.alf3_added + used])

    # ------------------------------------------------------------------ electrolyte
    def refresh_electrolyte(self) -> None:
        """The salt's properties from its composition (cellsim.electrolyte); with
        electrolyte.composition_feedback the model's configuration takes them (conductivity,
        density and the salt layer's depth, liquidus, heat capacity, mean molar mass)."""
        prov, s = self.electrolyte, self.state
        try:
            props = prov.evaluate(s)
        except OutOfRange as err:
            if self.base_config.electrolyte.composition_feedback:  # else the configured melt rules
                self.electrolyte_stop = self.electrolyte_stop or str(err)
            return
        self.salt_props = props
        fed = getattr(self, "_fed_props", None)
        if self.base_config.electrolyte.composition_feedback and (fed is None or _moved(fed, props)):
            self._fed_props = props
            self.config = prov.effective_config(props, layers=True)
            self.salt_volume = props.volume

    def renew_salt(self, mass: float) -> dict:
        """Partial salt renewal: ``mass`` kg removed with its composition, the same mass of fresh
        electrolyte added (booked in the state; see SaltProvider.renew)."""
        moved = self.electrolyte.renew(self.state, mass)
        self.state.salt_renewals += 1
        self._salt_changed()
        self.update_state()
        return moved

    def _salt_changed(self) -> None:
        """Hook: the salt inventories changed outside the exchange (a field level rescales its
        concentration field to match ``state.salt``)."""

    def alf3_fraction(self) -> float:
        """AlX3 mass fraction of the melt (dissolved impurities neglected)."""
        s = self.state
        return s.alf3 / (s.alf3 + s.salt_base)

    def alf3_activity(self) -> float:
        """AlX3 activity of the melt: Henrian about the configured point, a = a0 w / w0 [E]
        (dilute-solution proportionality to the mass fraction, which stands for the mole
        fraction at a fixed mean molar mass), capped at 1; or constant (electrolyte.alf3_activity_model)."""
        el = self.config.electrolyte
        if el.alf3_activity_model == "constant":
            return el.alf3_activity
        if el.composition_feedback:  # from the composition of the moment (cellsim.electrolyte)
            prov = self.electrolyte
            try:
                return prov.melt.alx3_activity(prov.masses(self.state), prov.log)
            except OutOfRange:
                return self.salt_props.alx3_activity
        return min(el.alf3_activity * max(self.alf3_fraction(), 0.0) / self.alf3_w0, 1.0)

    def bath_liquid_fraction(self) -> float:
        """Liquid volume fraction of the electrolyte: at a field level the volume mean of the
        heat field's liquid fraction over the electrolyte cells (``heat_state.frac``,
        ``pot.grid``); at the lumped level the band inside the sidewall ledge (0 when the
        heat balance has no liquid solution)."""
        hs, pot = getattr(self, "heat_state", None), getattr(self, "pot", None)
        if hs is not None and pot is not None:
            mask, vol = pot.grid.region_mask("electrolyte"), pot.grid.volumes()
            return float(np.sum(hs.frac[mask] * vol[mask]) / vol[mask].sum())
        return self.derived.liquid_fraction

    def layer_depths(self) -> tuple[float, float, float]:
        """Anode alloy density [kg/m3] (ideal mixing), alloy and cathode-metal depths [m]."""
        s, area = self.state, self.config.geometry.area
        w = s.alloy / s.alloy.sum()
        rho_alloy = alloy_density(dict(zip(IMPURITIES, w[_IMP])))
        return (rho_alloy, s.alloy.sum() / (rho_alloy * area),
                s.cathode.sum() / (ELEMENTS["Al"].liquid_density * area))

    def update_state(self) -> Derived:
        self.refresh_electrolyte()
        cfg, s = self.config, self.state
        rho_alloy, alloy_depth, cathode_depth = self.layer_depths()
        gamma_al = 1.0  # Raoultian Al in both metals [E]
        a_al = gamma_al * mole_fractions(s.alloy)[0]
        a_al_c = gamma_al * mole_fractions(s.cathode)[0]
        I = self.current
        T_set = cfg.operation.temperature
        feed_unit = s.feed_rate

        def balance(T):
            R = electrical.resistances(cfg, T, alloy_depth, cathode_depth)
            V = electrical.voltage_breakdown(cfg, I, T, R, a_al, a_al_c)
            joule = I * (sum(V.values()) - V["external"])
            loss = thermal.heat_loss(cfg, T, alloy_depth, cathode_depth)
            rods_joule_out = 0.5 * I**2 * R.rods  # half the rods' Joule heat leaves at the clamps
            sink = feed_unit * feed_heating(cfg.scrap.feed_temperature, T)
            loss = _with_rod_joule(loss, rods_joule_out)
            return joule - loss.total - sink, V, loss, joule, sink

        margin, V, loss, joule, sink = balance(T_set)
        T, heater = T_set, max(-margin, 0.0)
        liquid = math.nan
        P_max = cfg.operation.heater_max_power
        if P_max is not None and heater > P_max:  # the heater cannot hold the set point
            heater = P_max
            T_low = cfg.electrolyte.liquidus + 1e-3  # the ledge model needs T above the liquidus
            if balance(T_low)[0] + P_max >= 0.0:
                T = brentq(lambda x: balance(x)[0] + P_max, T_low, T_set, xtol=1e-6)
            else:  # no liquid steady state: the bath freezes
                T, liquid = T_low, 0.0
            _, V, loss, joule, sink = balance(T)
        elif margin > 0.0:  # surplus: the melt settles above the set point
            hi = T_set + 50.0
            while balance(hi)[0] > 0.0:
                hi += 100.0
                if hi > T_set + 1000.0:
                    raise RuntimeError("heat balance has no solution within 1000 K of the set point")
            T = brentq(lambda x: balance(x)[0], T_set, hi, xtol=1e-6)
            _, V, loss, joule, sink = balance(T)
        if math.isnan(liquid):
            liquid = _inside_ledge(cfg.geometry, loss.ledge_thickness)
        self.derived = Derived(alloy_depth, cathode_depth, rho_alloy, a_al, a_al_c, T, V, loss,
                               joule, sink, heater, margin, liquid)
        return self.derived

    # ----------------------------------------------------------------------- time step
    def exchange(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Advance the dissolved impurities by dt: the three-pool film exchange (alloy, salt,
        cathode inventories updated); returns the mean fluxes over the step, alloy -> salt and
        salt -> cathode [mol/s] per impurity (a field level overrides this)."""
        cfg, s, d = self.config, self.state, self.derived
        T, area = d.temperature, cfg.geometry.area
        el = cfg.electrolyte
        mol_imp = chemistry.MOLAR_MASS
        V_alloy = s.alloy.sum() / d.alloy_density
        V_cath = s.cathode.sum() / ELEMENTS["Al"].liquid_density
        c_salt = el.density / el.mean_molar_mass
        gamma = np.array([cfg.anode_alloy.activity_coefficients.get(k, 1.0) for k in IMPURITIES])
        cmol = lambda m: (m / np.array([ELEMENTS[x].molar_mass for x in ALL_ELEMENTS])).sum()
        c_alloy, c_cath = cmol(s.alloy) / V_alloy, cmol(s.cathode) / V_cath
        a_alx3 = self.alf3_activity()
        x_ratio_a = chemistry.interface_ratio(T, el.family, el.potential_offsets, a_alx3,
                                              d.a_al_alloy, gamma)
        x_ratio_c = chemistry.interface_ratio(T, el.family, el.potential_offsets, a_alx3,
                                              d.a_al_cathode, np.ones(len(IMPURITIES)))
        S_a, S_c = x_ratio_a * c_salt / c_alloy, x_ratio_c * c_salt / c_cath
        g_a = chemistry.film_conductance(area, S_a, el.mass_transfer_coefficient,
                                         cfg.anode_alloy.metal_mass_transfer_coefficient)
        g_c = chemistry.film_conductance(area, S_c, el.mass_transfer_coefficient,
                                         cfg.cathode_metal.metal_mass_transfer_coefficient)
        n_a, n_s, n_c, N_a, N_c = chemistry.exchange_step(
            s.alloy[_IMP] / mol_imp, s.salt / mol_imp, s.cathode[_IMP] / mol_imp,
            V_alloy, self.salt_volume, V_cath, S_a, S_c, g_a, g_c, dt)
        s.alloy[_IMP], s.salt, s.cathode[_IMP] = n_a * mol_imp, n_s * mol_imp, n_c * mol_imp
        return N_a, N_c

    def step(self, dt: float) -> None:
        cfg, s, d = self.config, self.state, self.derived
        I, area = self.current, cfg.geometry.area
        el = cfg.electrolyte
        species = getattr(self, "species", None)  # a field level's species field reads its options
        if species is not None and species.options.alf3_activity != self.alf3_activity():
            species.options = replace(species.options, alf3_activity=self.alf3_activity())
        N_a, N_c = self.exchange(dt)

        # Al carries the rest of the current at each electrode (mol/s).
        nv = chemistry.VALENCE
        r_anode = (I - FARADAY * np.dot(nv, N_a)) / (3 * FARADAY)
        r_cathode = (I - FARADAY * np.dot(nv, N_c)) / (3 * FARADAY)
        # Back reaction: dissolved metal carried from the cathode (a_Al ~ 1) to the alloy through
        # both salt films in series (physics-data.md 3.2) [mol/s].
        c_sat = el.dissolved_al_solubility * el.density / M_AL
        back = 0.5 * el.mass_transfer_coefficient * area * c_sat * (d.a_al_cathode - d.a_al_alloy)
        back = max(back, 0.0)
        s.alloy[0] -= (r_anode - back) * dt * M_AL
        s.cathode[0] += (r_cathode - back) * dt * M_AL
        s.back_reaction += back * dt * M_AL
        s.alf3 += (r_anode - r_cathode) * dt * M_ALF3
        if cfg.schedule.salt_additions == "continuous" and s.alf3 < self.alf3_setpoint:
            s.alf3_added += self.alf3_setpoint - s.alf3  # make-up keeps the melt's ratio (counted)
            s.alf3 = self.alf3_setpoint

        s.charge += I * dt
        for term, volts in d.voltage.items():
            s.energy[term] += volts * I * dt
        s.energy["auxiliary_heat"] += d.heater_power * dt
        s.time += dt
        if cfg.schedule.feed_mode == "continuous":
            s.feed_rate = self.feed_to_setpoint() / dt
        self.remove_sludge()
        if self.base_config.electrolyte.composition_feedback and self.electrolyte.precipitate(s) > 0.0:
            self._salt_changed()
            if self.base_config.electrolyte.precipitation == "stop":
                self.electrolyte_stop = self.electrolyte_stop or (
                    f"MgX2 solubility reached: {self.electrolyte.mgx2_fraction(s) * 100:.2f} wt% "
                    f"(electrolyte.mgx2_solubility_wt_pct, precipitation = \"stop\")")
        self.update_state()

    # ------------------------------------------------------------ scheduled operations
    def feed_to_setpoint(self) -> float:
        """Feed scrap until the alloy's Al is back at its initial mass; return metal fed [kg]."""
        s = self.state
        missing = self.al_setpoint - s.alloy[0]
        if missing <= 0.0:
            return 0.0
        metal = missing / self.scrap_w[0]
        s.alloy += metal * self.scrap_w
        s.scrap_metal += metal * self.scrap_w
        sc = self.config.scrap
        raw = metal / (1.0 - self.mg_removal_per_metal * (1.0 + sc.mg_removal_al_loss))
        mg = raw * self.mg_removal_per_metal
        s.mg_removed += mg
        s.mg_removal_reagent += mg * sc.mg_removal_reagent
        s.mg_removal_al_loss += mg * sc.mg_removal_al_loss
        s.scrap_fed += raw / sc.metallic_yield
        if sc.mg_removal_efficiency > 0.0:
            s.energy["mg_removal"] += raw / sc.metallic_yield * sc.mg_removal_energy
        return metal

    def remove_sludge(self) -> None:
        """Move everything above the liquid solubility (with its Al) to the sludge."""
        aa, s = self.config.anode_alloy, self.state
        for symbol, w_sol in aa.solubility.items():
            k = ALL_ELEMENTS.index(symbol)
            r = aa.sludge_al_per_element.get(symbol, 0.0)
            excess = chemistry.sludge_excess(s.alloy[k], s.alloy.sum(), w_sol, r)
            if excess > 0.0:
                s.alloy[k] -= excess
                s.alloy[0] -= r * excess
                s.sludge[k] += excess
                s.sludge[0] += r * excess

    def bleed(self, mass: float) -> tuple[np.ndarray, np.ndarray]:
        """Remove ``mass`` [kg] of anode alloy with its composition and refill the same mass of
        fresh alloy (``schedule.bleed_refill_composition_wt_pct``, default the initial alloy);
        return (bled, fresh) [kg per element]. Both are booked (``state.bled``,
        ``state.refilled``) so :meth:`totals` stays constant."""
        s = self.state
        total = s.alloy.sum()
        if not 0.0 < mass < total:
            raise ValueError(f"alloy bleed of {mass:.3g} kg: expected between 0 and the alloy "
                             f"mass ({total:.3g} kg)")
        bled = s.alloy * (mass / total)
        fresh = self.refill_w * mass
        s.alloy -= bled
        s.alloy += fresh
        s.bled += bled
        s.refilled += fresh
        self.update_state()
        return bled, fresh

    def add_salt(self, alf3: float | None, base_salt: float = 0.0) -> tuple[float, float]:
        """Add ``alf3`` kg of AlX3 (None: top up to the initial AlX3 fraction at the present
        base salt) and ``base_salt`` kg of base salt; return what was added (booked in
        ``state.alf3_added``, ``state.base_salt_added``). The layer stays ``geometry.acd``
        thick: additions change the melt's composition, not its volume."""
        s = self.state
        s.salt_base += base_salt
        s.base_salt_added += base_salt
        if alf3 is None:  # w = a / (a + b) = w0  ->  a = w0 b / (1 - w0)
            alf3 = max(self.alf3_w0 * s.salt_base / (1.0 - self.alf3_w0) - s.alf3, 0.0)
        s.alf3 += alf3
        s.alf3_added += alf3
        return alf3, base_salt

    def tap(self) -> np.ndarray:
        """Tap the cathode metal down to its residual depth; return the batch [kg per element]."""
        s = self.state
        total = s.cathode.sum()
        if total <= self.cathode_residual:
            return np.zeros_like(s.cathode)
        batch = s.cathode * (1.0 - self.cathode_residual / total)
        s.cathode -= batch
        s.tapped += batch
        self.update_state()
        return batch

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self) -> dict:
        """Everything needed to continue bit for bit (plain data; see cellsim.checkpoint)."""
        import copy

        return {"state": copy.deepcopy(self.state), "derived": self.derived, "current": self.current,
                "fed_props": getattr(self, "_fed_props", None)}

    def restore(self, data: dict) -> None:
        """Continue from :meth:`checkpoint` data (the config must be the same)."""
        import copy

        self.state, self.derived = copy.deepcopy(data["state"]), data["derived"]
        self.current = data["current"]
        self._fed_props = fed = data.get("fed_props")
        if fed is not None and self.base_config.electrolyte.composition_feedback:
            self.config = self.electrolyte.effective_config(fed, layers=True)
            self.salt_volume = fed.volume
        self.refresh_electrolyte()

    def limited_sum(self) -> float:
        """Mass fraction of the limited elements (anode_alloy.limited_elements) in the alloy."""
        w = self.state.alloy / self.state.alloy.sum()
        return float(sum(w[ALL_ELEMENTS.index(e)] for e in self.config.anode_alloy.limited_elements))

    def thermal_limit_broken(self) -> str | None:
        """Describe the thermal stop criterion of ``[schedule]`` that is met, or None."""
        sched, el, d = self.config.schedule, self.config.electrolyte, self.derived
        C = 273.15
        ledge = d.heat.ledge_thickness
        if sched.min_ledge_thickness is not None and ledge < sched.min_ledge_thickness:
            return (f"sidewall ledge gone: {ledge * 1e3:.2f} mm below {sched.min_ledge_thickness * 1e3:g} mm "
                    "(the melt touches the lining)")
        if sched.stop_on_frozen_bath:
            if d.temperature < el.liquidus:
                return (f"bath frozen: electrolyte {d.temperature - C:.1f} degC below its liquidus "
                        f"{el.liquidus - C:g} degC")
            f = self.bath_liquid_fraction()
            if f < sched.min_bath_liquid_fraction:
                return (f"bath frozen: electrolyte liquid fraction {f:.3f} below "
                        f"{sched.min_bath_liquid_fraction:g}")
        if sched.max_temperature is not None and d.temperature > sched.max_temperature:
            return (f"melt too hot: {d.temperature - C:.1f} degC above "
                    f"{sched.max_temperature - C:g} degC")
        return None

    def alloy_limit_broken(self) -> str | None:
        """Describe the anode-alloy (or pot-level) limit that is broken, or None."""
        aa, s, d = self.config.anode_alloy, self.state, self.derived
        if s.alf3 <= 0.0:
            return "electrolyte AlX3 used up (schedule the electrolyte additions)"
        if self.electrolyte_stop:
            return self.electrolyte_stop
        if self.base_config.electrolyte.composition_feedback:
            broken = self.electrolyte.layer_order_broken(self.salt_props, d.alloy_density,
                                                         ELEMENTS["Al"].liquid_density)
            if broken:
                return broken
        if d.alloy_depth + self.config.geometry.acd + d.cathode_depth > thermal.cavity_height(self.config):
            return "pot full: the cathode metal reached the lid"
        w = s.alloy / s.alloy.sum()
        if w[0] < aa.min_al_fraction:
            return f"anode alloy Al {w[0] * 100:.2f} wt% below {aa.min_al_fraction * 100:g} wt%"
        limited = self.limited_sum()
        if limited > aa.max_impurity_fraction:
            names = "+".join(aa.limited_elements)
            return (f"anode alloy {names} {limited * 100:.2f} wt% above "
                    f"{aa.max_impurity_fraction * 100:g} wt%")
        return None


# The properties the configuration carries are refreshed when one of them has moved by more
# than this fraction (liquidus: this times 1000 K) since the last refresh: the composition moves
# the conductivity by ~2e-4 per hour of a UBC campaign, and a refresh every step would defeat
# the field levels' reuse of the current solution (CURRENT_REUSE_SIGMA). The cell voltage then
# lags its composition by at most 0.1 % of the electrolyte ohmic drop.
PROPERTY_LAG = 1e-3


def _moved(old, new) -> bool:
    rel = lambda a, b: abs(b - a) > PROPERTY_LAG * abs(a)
    return (rel(old.conductivity, new.conductivity) or rel(old.volume, new.volume)
            or rel(old.density, new.density) or rel(old.specific_heat, new.specific_heat)
            or rel(old.mean_molar_mass, new.mean_molar_mass)
            or abs(new.liquidus - old.liquidus) > PROPERTY_LAG * 1000.0)


def _demagged(scrap) -> tuple[np.ndarray, float]:
    """Mass fractions of the scrap metal after the Mg removal (scrap.mg_removal_efficiency, with
    the Al lost alongside), and the kg of Mg removed per kg of metal before the removal."""
    w = composition_array(scrap.composition)
    mg = scrap.mg_removal_efficiency * w[_MG]
    if mg <= 0.0:
        return w, 0.0
    w = w.copy()
    w[_MG] -= mg
    w[0] -= mg * scrap.mg_removal_al_loss
    return w / w.sum(), mg


def _inside_ledge(geo, ledge: float) -> float:
    """Fraction of the cavity's plan area inside a sidewall ledge of thickness ``ledge`` [m]."""
    if geo.shape == "cylindrical":
        return max(1.0 - ledge / geo.inner_radius, 0.0) ** 2
    return (max(geo.inner_length - 2 * ledge, 0.0) * max(geo.inner_width - 2 * ledge, 0.0)
            / (geo.inner_length * geo.inner_width))


def _with_rod_joule(loss: thermal.HeatLoss, rods_joule_out: float) -> thermal.HeatLoss:
    from dataclasses import replace

    return replace(loss, collectors=loss.collectors + rods_joule_out)


def current_efficiency(al_produced: float, charge: float) -> float:
    """Faraday's law: produced Al / (Q M_Al / 3F)."""
    return al_produced / (charge * M_AL / (3 * FARADAY)) if charge > 0 else math.nan
