"""The cell: state, inventories, ledgers, the operations on them and the stop criteria.

A :class:`Cell` knows no model level: the physics (voltage, temperature, heat losses,
impurity exchange) comes from the :class:`cellsim.physics.Physics` it holds, a composition
of providers (``cellsim.contracts``; the levels are in ``cellsim.models``). Every change of
the state goes through a method of the cell, and each public one leaves the derived
quantities current (``update_state()``, idempotent: calling it twice changes nothing);
``step(dt)`` advances the inventories by dt.

Inventories are masses [kg] per element (``ALL_ELEMENTS`` order, Al first) for the anode
alloy, the cathode metal and the sludge; dissolved impurities in the electrolyte per
``IMPURITIES``. Every transfer moves mass from one inventory to another, so element totals
are conserved to round-off (tested).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from .config.schema import Config
from .config.validate import alloy_density
from .contracts import ExchangeStep, Layers, OperatingPoint, Snapshot
from .electrolyte import COMPONENTS, OutOfRange
from .electrolyte.provider import SaltProvider
from .elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from .kernels import ledger as tag_kernels
from .lumped import chemistry, electrical, thermal
from .physics import Physics
from .purity import ledger, salt_entrainment
from .purity.efficiency import LOSSES
from .purity.pathways import Pathways, charge_of
from .units import FARADAY, ZERO_CELSIUS

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


_MOLAR_MASS = np.array([ELEMENTS[s].molar_mass for s in ALL_ELEMENTS])


def mole_fractions(masses: np.ndarray) -> np.ndarray:
    moles = masses / _MOLAR_MASS
    return moles / moles.sum()


@dataclass
class CellState:
    """Inventories and cumulative flows of a campaign (all SI, masses in kg).

    ``electrolyte``: dissolved impurities per IMPURITIES element; ``alf3`` and
    ``electrolyte_base``: the AlX3 and the base salt of the electrolyte."""

    time: float
    alloy: np.ndarray
    electrolyte: np.ndarray
    cathode: np.ndarray
    alf3: float
    electrolyte_base: float
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
    # kg/s of Al the alloy lost over the last step (dissolution, back reaction, entrainment,
    # sludge): the continuous feed's forecast for the next step (Cell._continuous_feed)
    alloy_al_loss: float = 0.0
    # purity pathways and current-efficiency losses (cellsim.purity)
    sourced: np.ndarray = field(default_factory=lambda: np.zeros(len(ALL_ELEMENTS)))  # kg in from
    # make-up salts, lining and collectors
    oxidized: float = 0.0  # kg of Al oxidised at the cathode-metal surface (leaves as oxide)
    losses: dict = field(default_factory=lambda: {k: 0.0 for k in LOSSES})  # kg Al short of Faraday
    tags_electrolyte: np.ndarray = field(default_factory=lambda: ledger.empty(len(IMPURITIES)))  # kg
    tags_cathode: np.ndarray = field(default_factory=lambda: ledger.empty(len(IMPURITIES)))
    tags_tapped: np.ndarray = field(default_factory=lambda: ledger.empty(len(IMPURITIES)))
    cations_electrolyte: np.ndarray = field(default_factory=lambda: np.zeros(0))  # mol
    cations_cathode: np.ndarray = field(default_factory=lambda: np.zeros(0))  # kg
    cations_tapped: np.ndarray = field(default_factory=lambda: np.zeros(0))  # kg
    # salt inclusions (purity.salt_entrainment): salt carried into the cathode metal [kg]; its
    # dissolved impurities enter the cathode metal's inventory, its tracked cations (kg) the
    # cation inventories (the share of cations_cathode/_tapped that came as inclusions)
    salt_included_base: float = 0.0
    salt_included_alx3: float = 0.0
    salt_included_halides: np.ndarray = field(default_factory=lambda: np.zeros(len(IMPURITIES)))
    cations_included_cathode: np.ndarray = field(default_factory=lambda: np.zeros(0))  # kg
    cations_included_tapped: np.ndarray = field(default_factory=lambda: np.zeros(0))  # kg
    salt_included_deficit: np.ndarray = field(default_factory=lambda: np.zeros(0))  # kg, as below
    # kg of each co-deposited cation's halide taken out of the base salt (in the pot; removed
    # with renewals) and kg per IMPURITIES element that entered the electrolyte with its halide from
    # the make-up salts and the lining (cellsim.electrolyte.provider)
    cation_salt_deficit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cation_salt_deficit_removed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    electrolyte_sourced: np.ndarray = field(default_factory=lambda: np.zeros(len(IMPURITIES)))
    # electrolyte care (cellsim.electrolyte): kg per IMPURITIES element or kg of salt
    electrolyte_precipitate: np.ndarray = field(default_factory=lambda: np.zeros(len(IMPURITIES)))
    electrolyte_removed: np.ndarray = field(default_factory=lambda: np.zeros(len(IMPURITIES)))
    electrolyte_removed_base: float = 0.0
    electrolyte_removed_alf3: float = 0.0
    electrolyte_fresh_base: float = 0.0
    electrolyte_fresh_alf3: float = 0.0
    electrolyte_renewals: int = 0
    # Mg removed from the scrap before feeding [kg], its reagent [kg] and the Al lost with it [kg]
    mg_removed: float = 0.0
    mg_removal_reagent: float = 0.0
    mg_removal_al_loss: float = 0.0


@dataclass(frozen=True, slots=True)
class Derived:
    """Quantities computed from the state by ``update_state`` (SI): the cell's
    :class:`~cellsim.contracts.Layers` and the physics' :class:`~cellsim.contracts.OperatingPoint`."""

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
    liquid_fraction: float  # liquid volume fraction of the electrolyte

    @classmethod
    def of(cls, layers: Layers, op: OperatingPoint) -> "Derived":
        return cls(layers.alloy_depth, layers.cathode_depth, layers.alloy_density, layers.a_al_alloy,
                   layers.a_al_cathode, op.temperature, op.voltage, op.heat, op.joule_heat,
                   op.feed_sink, op.heater_power, op.heat_margin, op.liquid_fraction)

    @property
    def cell_voltage(self) -> float:
        return sum(self.voltage.values())


class Cell:
    """State and operations of one cell; physics from ``physics`` (module docstring)."""

    def __init__(self, config: Config, physics: Physics):
        self.config = self.base_config = config
        self.physics = physics
        # the electrolyte's composition -> properties (the same 0D provider at every level)
        self.salt = physics.electrolyte if physics.electrolyte is not None else SaltProvider(config)
        self.electrolyte_stop: str | None = None
        geo = config.geometry
        w_alloy = composition_array(config.anode_alloy.initial_composition)
        rho_alloy = alloy_density(config.anode_alloy.initial_composition)
        alloy_mass = rho_alloy * geo.area * geo.anode_alloy_depth
        cath_mass = ELEMENTS["Al"].liquid_density * geo.area * geo.cathode_metal_depth
        electrolyte_mass = config.electrolyte.density * geo.area * geo.acd
        alf3 = config.electrolyte.alf3_mass_fraction * electrolyte_mass
        self.al_setpoint = w_alloy[0] * alloy_mass
        self.cathode_residual = cath_mass
        self.alf3_w0 = alf3 / (alf3 + (electrolyte_mass - alf3))  # same expression as alf3_fraction()
        refill = config.schedule.bleed_refill_composition
        self.refill_w = composition_array(config.anode_alloy.initial_composition if refill is None
                                          else refill)
        self.scrap_w, self.mg_removal_per_metal = _demagged(config.scrap)
        self.electrolyte_volume = geo.area * geo.acd
        self.current = config.operation.current  # A; the runner's current program may change it
        self.state = CellState(
            time=0.0, alloy=w_alloy * alloy_mass, electrolyte=np.zeros(len(IMPURITIES)),
            cathode=composition_array(config.cathode_metal.initial_composition) * cath_mass,
            alf3=alf3, electrolyte_base=electrolyte_mass - alf3)
        self.state.feed_rate = self.nominal_feed_rate()
        self.state.alloy_al_loss = self.state.feed_rate * self.scrap_w[0]
        if physics.pathways is None:
            physics.pathways = Pathways(config)
        self.pathways = physics.pathways
        ledger.add(self.state.tags_cathode, "initial", self.state.cathode[_IMP])
        moles = electrolyte_mass / config.electrolyte.mean_molar_mass
        self.state.cations_electrolyte = np.array(
            [config.purity.cation_salt_mole_fraction[c] * moles for c in self.pathways.cations])
        self.state.cations_cathode = np.zeros(len(self.pathways.cations))
        self.state.cations_tapped = np.zeros(len(self.pathways.cations))
        self.state.cations_included_cathode = np.zeros(len(self.pathways.cations))
        self.state.cations_included_tapped = np.zeros(len(self.pathways.cations))
        self.state.salt_included_deficit = np.zeros(len(self.pathways.cations))
        self.state.cation_salt_deficit = np.zeros(len(self.pathways.cations))
        self.state.cation_salt_deficit_removed = np.zeros(len(self.pathways.cations))
        self.last_tap_tags, self.last_tap_cations = None, None
        self.initial = self.totals()
        self.initial_cations = self.cation_totals()
        self.initial_salt_elements = self.salt_element_totals()
        self.salt_mass_0 = electrolyte_mass
        self._fed_props = None  # the electrolyte properties the providers last took
        self.refresh_electrolyte()
        physics.start(self, self.layers())
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
        alf3 = (s.alf3 - s.alf3_added + s.electrolyte_removed_alf3 - s.electrolyte_fresh_alf3
                + s.salt_included_alx3)
        dissolved = np.concatenate([[alf3 * M_AL / M_ALF3],
                                    s.electrolyte + s.electrolyte_precipitate + s.electrolyte_removed])
        oxidized = np.zeros(len(ALL_ELEMENTS))
        oxidized[0] = s.oxidized
        return (s.alloy + dissolved + s.cathode + s.sludge + s.tapped + s.bled + oxidized
                - s.scrap_metal - s.refilled - s.sourced)

    def cation_totals(self) -> np.ndarray:
        """Moles of each co-depositing cation (purity.codeposition) in the electrolyte, the
        cathode metal and the tapped metal: constant over a campaign."""
        s, M = self.state, self.pathways.cation_molar_mass
        return s.cations_electrolyte + (s.cations_cathode + s.cations_tapped) / M

    def salt_component_totals(self) -> np.ndarray:
        """Base salt and AlX3 [kg] in the pot plus removed less added (renewals, additions,
        make-up), with what the reactions moved counted back: the base salt's cation halides
        co-deposited (``3 NaF + Al -> 3 Na + AlF3``), the AlX3 the anodic exchange used for the
        impurity halides of metal origin (the make-up salts and the lining bring theirs) and
        the AlX3 the co-deposition formed; the salt carried into the metal as inclusions counts
        as leaving (purity.salt_entrainment): constant over a campaign."""
        s, pw = self.state, self.pathways
        halides = (s.electrolyte + s.electrolyte_precipitate + s.electrolyte_removed
                   - s.electrolyte_sourced + s.salt_included_halides)
        used = np.dot(chemistry.VALENCE / 3.0, halides / chemistry.MOLAR_MASS) * M_ALF3
        codeposited = 0.0
        if s.cations_cathode.size:
            mol = self._codeposited_cations() / pw.cation_molar_mass
            codeposited = float(np.dot(mol, pw.cation_salt_molar_mass))
            used -= float(np.dot(pw.cation_valence / 3.0, mol)) * M_ALF3
        return np.array([s.electrolyte_base + s.electrolyte_removed_base - s.electrolyte_fresh_base
                         - s.base_salt_added + codeposited + s.salt_included_base,
                         s.alf3 + s.electrolyte_removed_alf3 - s.electrolyte_fresh_alf3 - s.alf3_added
                         + s.salt_included_alx3 + used])

    def salt_element_totals(self) -> np.ndarray:
        """kg of each of the salt's own elements (``salt.balance_elements``: halogens and base
        cations) over every pool and flow (SaltProvider.element_totals), with the salt carried
        into the metal as inclusions (whose cations the provider would otherwise count once
        more, as co-deposited metal): constant."""
        out = self.salt.element_totals(self.state)
        s, prov = self.state, self.salt
        if out.size and s.salt_included_base + s.salt_included_alx3 > 0.0:
            out = out + prov._E @ prov._masses(s.salt_included_base, s.salt_included_alx3,
                                               s.salt_included_halides, s.salt_included_deficit)
            if s.cations_included_cathode.size:
                out = out - prov._E_cation @ (s.cations_included_cathode + s.cations_included_tapped)
        return out

    def _codeposited_cations(self) -> np.ndarray:
        """kg of each tracked cation in the metal (cathode and taps) that came by co-deposition
        (the rest came with salt inclusions)."""
        s = self.state
        return (s.cations_cathode + s.cations_tapped - s.cations_included_cathode
                - s.cations_included_tapped)

    # ------------------------------------------------------------------ electrolyte
    def electrolyte_mole_fractions(self) -> dict[str, float]:
        """Mole fraction of each salt component now (cellsim.electrolyte: base components, AlX3
        and the impurity halides; 'base' is the configured electrolyte without its AlX3 when the
        library entry names no components)."""
        return self.salt.mole_fractions(self.state)

    def electrolyte_mass_fractions(self) -> dict[str, float]:
        """Mass fraction of each salt component now."""
        return self.salt.mass_fractions(self.state)

    def refresh_electrolyte(self) -> None:
        """The electrolyte's properties from its composition (``salt_props``); with
        electrolyte.composition_feedback the cell's configuration takes them (conductivity,
        density and the salt layer's depth, liquidus, heat capacity, mean molar mass) and
        hands it to the providers when one has moved by more than PROPERTY_LAG."""
        try:
            props = self.salt.evaluate(self.state)
        except OutOfRange as err:
            if self.base_config.electrolyte.composition_feedback:  # else the configured electrolyte rules
                self.electrolyte_stop = self.electrolyte_stop or str(err)
            return
        self.salt_props = props
        fed = self._fed_props
        if self.base_config.electrolyte.composition_feedback and (fed is None or _moved(fed, props)):
            self._feed_props(props)

    def _feed_props(self, props) -> None:
        self._fed_props = props
        self.config = self.salt.effective_config(props, layers=True)
        self.electrolyte_volume = props.volume
        self.physics.configure(self.config)

    def renew_salt(self, mass: float) -> dict:
        """Partial electrolyte renewal: ``mass`` kg removed with its composition, fresh
        electrolyte added: the same mass, or (schedule.salt_renewal_refill = "level") what
        brings the salt back to its initial mass, the configured layer (booked in the state;
        see SaltProvider.renew)."""
        refill = None
        if self.base_config.schedule.salt_renewal_refill == "level":
            refill = max(self.salt_mass_0 - (float(self.salt.masses(self.state).sum()) - mass), 0.0)
        moved = self.salt.renew(self.state, mass, refill)
        self.state.electrolyte_renewals += 1
        self.physics.electrolyte_changed(self)
        self.update_state()
        return moved

    def naf_alf3_ratio(self) -> float | None:
        """NaF/AlF3 mass ratio of the salt now (None if it holds no NaF or AlF3): the
        composition term of the Al solubility (cellsim.purity.efficiency)."""
        w = self.electrolyte_mass_fractions()
        naf, alf3 = w.get("NaF", 0.0), w.get("AlF3", 0.0)
        return naf / alf3 if naf > 0.0 and alf3 > 0.0 else None

    def alf3_fraction(self) -> float:
        """AlX3 mass fraction of the electrolyte (dissolved impurities neglected)."""
        s = self.state
        return s.alf3 / (s.alf3 + s.electrolyte_base)

    def alf3_activity(self) -> float:
        """AlX3 activity of the electrolyte: Henrian about the configured point, a = a0 w / w0
        [E] (dilute-solution proportionality to the mass fraction, which stands for the mole
        fraction at a fixed mean molar mass), capped at 1; or constant
        (electrolyte.alf3_activity_model)."""
        el = self.config.electrolyte
        if el.alf3_activity_model == "constant":
            return el.alf3_activity
        if el.composition_feedback:  # from the composition of the moment (cellsim.electrolyte)
            try:
                return self.salt.alx3_activity(self.state)
            except OutOfRange:
                return self.salt_props.alx3_activity
        return min(el.alf3_activity * max(self.alf3_fraction(), 0.0) / self.alf3_w0, 1.0)

    def electrolyte_liquid_fraction(self) -> float:
        """Liquid volume fraction of the electrolyte (from the thermal provider)."""
        return self.derived.liquid_fraction

    def layers(self) -> Layers:
        """Anode alloy density [kg/m3] (ideal mixing), alloy and cathode-metal depths [m] and
        the Raoultian Al activities of both metals (gamma_Al = 1 [E])."""
        s, area = self.state, self.config.geometry.area
        total = s.alloy.sum()
        w = s.alloy / total
        rho_alloy = alloy_density(dict(zip(IMPURITIES, w[_IMP].tolist())))
        return Layers(total / (rho_alloy * area),
                      s.cathode.sum() / (ELEMENTS["Al"].liquid_density * area), rho_alloy,
                      mole_fractions(s.alloy)[0], mole_fractions(s.cathode)[0])

    def update_state(self) -> Derived:
        """Recompute the derived quantities from the state (idempotent)."""
        self.refresh_electrolyte()
        layers = self.layers()
        op, electrolyte = self.physics.update(self, layers)
        if electrolyte is not None:  # a remesh: the species field owns the inventory
            self.state.electrolyte = electrolyte
        self.derived = Derived.of(layers, op)
        return self.derived

    # ----------------------------------------------------------------------- time step
    def step(self, dt: float) -> None:
        """Advance the cell by dt [s]: heat and species (the physics), then the Al carried
        by the current at each electrode, the back reaction, AlX3, ledgers, continuous feed
        and sludge; the derived quantities are then updated."""
        cfg, s, d = self.config, self.state, self.derived
        I = self.current
        alloy_start = s.alloy.copy()  # the alloy of the step's start: the entrained composition
        continuous = cfg.schedule.feed_mode == "continuous"
        if continuous:  # the scrap fed over the step: its impurities are a source of the
            # implicit exchange (the exchange sees them within the step), its Al booked with it
            fed = self._continuous_feed(dt)
            heater, exchange = self.physics.step(self, dt, fed * self.scrap_w[_IMP] / dt)
            N_a, N_c = self._book_exchange(exchange)
            s.alloy[0] += fed * self.scrap_w[0]
            self._book_scrap(fed)  # the exchange booked its impurities in the alloy
            s.feed_rate = fed / dt
        else:
            heater, exchange = self.physics.step(self, dt)
            N_a, N_c = self._book_exchange(exchange)
        pw = self.pathways
        N_co = pw.codissolution(s.alloy, d.alloy_density, I)  # before the alloy changes
        I_el = I - pw.shunt_current(I)  # the current that electrolyses

        # Al carries the rest of the current at each electrode (mol/s).
        nv = chemistry.VALENCE
        r_anode = (I_el - FARADAY * np.dot(nv, N_a)) / (3 * FARADAY)
        if N_co.any():
            r_anode -= charge_of(N_co) / (3 * FARADAY)
        charge_c = np.dot(nv, N_c)  # mol/s of charge the impurities take at the cathode / F
        r_cathode = (I_el - FARADAY * charge_c) / (3 * FARADAY)
        N_cat = pw.cation_rates(d.temperature, self.alf3_activity(), d.a_al_cathode, r_cathode)
        if N_cat.size:
            r_cathode -= float(np.dot(pw.cation_valence, N_cat)) / 3.0
        # Back reaction: dissolved metal carried from the cathode (a_Al ~ 1) to the alloy
        # (cellsim.purity.efficiency; docs/purity.md) [mol/s].
        ratio = self.naf_alf3_ratio() if cfg.current_efficiency.solubility_ratio_coefficient else None
        back = pw.dissolved_metal(d.temperature, d.a_al_cathode, d.a_al_alloy, ratio)
        s.alloy[0] -= (r_anode - back) * dt * M_AL
        s.cathode[0] += (r_cathode - back) * dt * M_AL
        s.back_reaction += back * dt * M_AL
        s.alf3 += (r_anode - r_cathode) * dt * M_ALF3
        oxidized = min(pw.oxidation() * dt, max(s.cathode[0], 0.0))
        s.cathode[0] -= oxidized
        s.oxidized += oxidized
        if N_cat.size:
            s.cations_electrolyte -= N_cat * dt
            s.cations_cathode += N_cat * dt * pw.cation_molar_mass
            s.electrolyte_base -= float(np.dot(N_cat, pw.cation_salt_molar_mass)) * dt
            s.cation_salt_deficit = s.cation_salt_deficit + N_cat * pw.cation_salt_molar_mass * dt
        makeup = 0.0
        if cfg.schedule.salt_additions == "continuous":
            # AlX3 topped up to its initial fraction of the present electrolyte (the schema's
            # contract): w = a / (a + b) = w0  ->  a = w0 b / (1 - w0), as in add_salt. The
            # base salt b moves (co-deposited cations, salt inclusions), so the set point is a
            # fraction, not a mass.
            target = self.alf3_w0 * s.electrolyte_base / (1.0 - self.alf3_w0)
            if s.alf3 < target:
                makeup = target - s.alf3
                s.alf3_added += makeup  # counted
                s.alf3 = target
        self._purity_transfers(dt, N_a, N_c, N_co, pw.makeup(makeup, 0.0),
                               (r_cathode - back) * dt * M_AL, alloy_start)
        self._salt_inclusions((r_cathode - back) * dt * M_AL)
        losses = s.losses
        losses["dissolved_metal"] += back * dt * M_AL
        losses["oxidation"] += oxidized
        losses["shunt"] += (I - I_el) * dt / (3 * FARADAY) * M_AL
        losses["impurity_current"] += FARADAY * charge_c * dt / (3 * FARADAY) * M_AL
        if N_cat.size:
            losses["cation_current"] += float(np.dot(pw.cation_valence, N_cat)) / 3.0 * dt * M_AL

        s.charge += I * dt
        for term, volts in d.voltage.items():
            s.energy[term] += volts * I * dt
        s.energy["auxiliary_heat"] += heater * dt
        s.time += dt
        self._remove_sludge()
        if continuous:
            s.alloy_al_loss = (alloy_start[0] + fed * self.scrap_w[0] - s.alloy[0]) / dt
        if self.base_config.electrolyte.composition_feedback and self.salt.precipitate(s) > 0.0:
            self.physics.electrolyte_changed(self)
            if self.base_config.electrolyte.precipitation == "stop":
                self.electrolyte_stop = self.electrolyte_stop or (
                    f"MgX2 solubility reached: {self.salt.mgx2_fraction(s) * 100:.2f} wt% "
                    f"(electrolyte.mgx2_solubility_wt_pct, precipitation = \"stop\")")
        self.update_state()

    def _add_to_electrolyte(self, masses: np.ndarray, where: str = "electrolyte") -> None:
        """Impurities [kg] entering the electrolyte from outside the exchange, at ``where``
        (Species.add: 'electrolyte', 'wall', 'anode'; the field levels place them there)."""
        self.state.electrolyte = self.state.electrolyte + masses
        self.physics.species.add(masses, where)

    def _purity_transfers(self, dt: float, N_a, N_c, N_co, makeup: np.ndarray,
                          al_deposited: float, alloy_start: np.ndarray) -> None:
        """Co-dissolution, make-up salts, lining, entrainment and collectors over dt, and the
        origin tags of the electrolyte and the cathode metal (cellsim.purity.ledger)."""
        s, d, pw, M = self.state, self.derived, self.pathways, chemistry.MOLAR_MASS
        codissolved = N_co * dt * M
        lining = pw.lining(d.heat.ledge_thickness) * dt
        collectors = pw.collectors(s.cathode, d.cathode_depth) * dt
        # The alloy's composition at the step's start, as every other rate of the step: the
        # alloy of the moment has lost the step's Al but not yet received the continuous feed
        # that holds it at its level, so its impurity fractions are dt-biased (Cu +0.34 % per
        # hour of step in the product; docs/campaign.md, Time step).
        entrained = pw.entrainment(al_deposited, alloy_start)
        s.alloy[_IMP] -= codissolved
        s.alloy -= entrained
        s.cathode += entrained
        s.losses["entrained_al"] -= entrained[0]
        s.cathode[_IMP] += collectors
        s.sourced[_IMP] += makeup + lining + collectors
        s.electrolyte_sourced += makeup + lining
        for mass, where in ((makeup, "electrolyte"), (lining, "wall"), (codissolved, "anode")):
            if mass.any():
                self._add_to_electrolyte(mass, where)
        # the origin tags (ledger.add, ledger.transfer, ledger.rescale in one kernel call, the
        # same operations: kernels/ledger.py): inputs into the electrolyte, the cathode's less
        # noble elements back to it, its deposits to the cathode and the alloy, then the
        # cathode's inputs; each pool rescaled to its inventory
        s.tags_electrolyte, s.tags_cathode = tag_kernels.step_tags(
            s.tags_electrolyte, s.tags_cathode, N_a * dt * M, _column(codissolved), _column(makeup),
            _column(lining), -N_c * dt * M, N_c * dt * M, -N_a * dt * M, entrained[_IMP],
            _column(collectors), s.electrolyte, s.cathode[_IMP])

    def _salt_inclusions(self, al_deposited: float) -> None:
        """Salt carried into the cathode metal while ``al_deposited`` kg of Al deposit
        (purity.salt_entrainment): a fraction of every salt inventory leaves the electrolyte; its
        dissolved impurities (as their metals) and tracked cations enter the cathode metal,
        its base salt and AlX3 are booked as inclusions (docs/purity.md)."""
        s, pw = self.state, self.pathways
        if not self.config.purity.salt_entrainment:
            return
        m = self.salt.masses(s)
        f = pw.salt_carried(al_deposited, float(m.sum()))
        if f <= 0.0:
            return
        carried = m * f
        imp, base, alx3 = s.electrolyte * f, s.electrolyte_base * f, s.alf3 * f
        s.electrolyte = s.electrolyte - imp
        s.electrolyte_base -= base
        s.alf3 -= alx3
        s.salt_included_base += base
        s.salt_included_alx3 += alx3
        s.salt_included_halides = s.salt_included_halides + imp
        if s.cation_salt_deficit.size:  # the carried base lacks its share of the co-deposited NaF
            deficit = s.cation_salt_deficit * f
            s.cation_salt_deficit = s.cation_salt_deficit - deficit
            s.salt_included_deficit = s.salt_included_deficit + deficit
        s.cathode[_IMP] += imp
        # the tags: ledger.transfer out of the electrolyte's, ledger.add to the cathode's
        # 'salt_inclusions' (in one kernel call: kernels/ledger.include_salt)
        s.tags_electrolyte = tag_kernels.include_salt(s.tags_electrolyte, s.tags_cathode, imp)
        if s.cations_electrolyte.size:  # the tracked cations' metal in the carried salt (its
            # halide column; f of the cation inventory where the salt names no such component)
            metals = salt_entrainment.metals_of(self.salt.names, carried)
            mol = np.array([metals[c] / M if c in metals else n * f for c, M, n in
                            zip(pw.cations, pw.cation_molar_mass, s.cations_electrolyte)])
            s.cations_electrolyte = s.cations_electrolyte - mol
            s.cations_cathode = s.cations_cathode + mol * pw.cation_molar_mass
            s.cations_included_cathode = s.cations_included_cathode + mol * pw.cation_molar_mass
        self.physics.electrolyte_changed(self)

    def _book_exchange(self, ex: ExchangeStep) -> tuple[np.ndarray, np.ndarray]:
        s = self.state
        s.alloy[_IMP], s.electrolyte, s.cathode[_IMP] = ex.alloy, ex.electrolyte, ex.cathode
        return ex.flux_alloy_to_electrolyte, ex.flux_electrolyte_to_cathode

    # ------------------------------------------------------------ operations on the state
    def set_current(self, current: float) -> None:
        """Cell current [A] from now on (the runner's current program)."""
        if current != self.current:
            self.current = current
            self.update_state()

    def feed(self) -> float:
        """Feed scrap until the alloy's Al is back at its initial mass; return metal fed [kg]."""
        metal = self._feed_to_setpoint()
        self.update_state()
        return metal

    def _feed_to_setpoint(self) -> float:
        s = self.state
        missing = self.al_setpoint - s.alloy[0]
        if missing <= 0.0:
            return 0.0
        metal = missing / self.scrap_w[0]
        s.alloy += metal * self.scrap_w
        self._book_scrap(metal)
        return metal

    def _continuous_feed(self, dt: float) -> float:
        """Scrap metal [kg] fed continuously over the next step of dt [s]: what brings the
        alloy's Al to its set point at the step's end, forecast from the step's start (the Al
        missing now plus the last step's Al loss rate over dt). Fed within the step (a source
        of the implicit exchange), it holds the Al at its set point to the change of the loss
        rate from one step to the next (the missing Al is made up at the next step)."""
        s = self.state
        missing = self.al_setpoint - s.alloy[0] + s.alloy_al_loss * dt
        return max(missing, 0.0) / self.scrap_w[0]

    def _book_scrap(self, metal: float) -> None:
        """The ledgers of ``metal`` kg of scrap metal fed (the alloy's inventory is booked by
        the caller): what came in, the Mg removed before feeding, the raw scrap."""
        s = self.state
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

    def _remove_sludge(self) -> None:
        """Move everything above the liquid solubility (with its Al) to the sludge."""
        aa, s = self.config.anode_alloy, self.state
        total = s.alloy.sum()  # the alloy's mass, summed again only after a removal
        for symbol, w_sol in aa.solubility.items():
            k = ALL_ELEMENTS.index(symbol)
            r = aa.sludge_al_per_element.get(symbol, 0.0)
            excess = chemistry.sludge_excess(s.alloy[k], total, w_sol, r)
            if excess > 0.0:
                s.alloy[k] -= excess
                s.alloy[0] -= r * excess
                s.sludge[k] += excess
                s.sludge[0] += r * excess
                total = s.alloy.sum()

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
        thick: additions change the electrolyte's composition, not its volume."""
        s = self.state
        s.electrolyte_base += base_salt
        s.base_salt_added += base_salt
        if alf3 is None:  # w = a / (a + b) = w0  ->  a = w0 b / (1 - w0)
            alf3 = max(self.alf3_w0 * s.electrolyte_base / (1.0 - self.alf3_w0) - s.alf3, 0.0)
        s.alf3 += alf3
        s.alf3_added += alf3
        makeup = self.pathways.makeup(alf3, base_salt)
        if np.any(makeup):
            s.sourced[_IMP] += makeup
            s.electrolyte_sourced += makeup
            self._add_to_electrolyte(makeup)
            ledger.add(s.tags_electrolyte, "makeup_salts", makeup)
        self.update_state()
        return alf3, base_salt

    def tap(self) -> np.ndarray:
        """Tap the cathode metal down to its residual depth; return the batch [kg per element]."""
        s = self.state
        total = s.cathode.sum()
        if total <= self.cathode_residual:
            return np.zeros_like(s.cathode)
        share = 1.0 - self.cathode_residual / total
        batch = s.cathode * share
        s.cathode -= batch
        s.tapped += batch
        self.last_tap_tags = s.tags_cathode * share
        s.tags_cathode = s.tags_cathode - self.last_tap_tags
        s.tags_tapped = s.tags_tapped + self.last_tap_tags
        self.last_tap_cations = s.cations_cathode * share
        s.cations_cathode = s.cations_cathode - self.last_tap_cations
        s.cations_tapped = s.cations_tapped + self.last_tap_cations
        included = s.cations_included_cathode * share
        s.cations_included_cathode = s.cations_included_cathode - included
        s.cations_included_tapped = s.cations_included_tapped + included
        self.update_state()
        return batch

    # ------------------------------------------------------------------ fields, checkpoints
    def snapshot(self) -> Snapshot | None:
        """The fields of a field level now (None at the lumped level)."""
        return self.physics.snapshot(self.state.time)

    def reset_caches(self) -> None:
        """Drop factorisations and warm starts (a sync point: what follows depends on the
        state alone)."""
        self.physics.reset_caches()

    def checkpoint(self) -> dict:
        """Everything needed to continue bit for bit (plain data; see cellsim.checkpoint)."""
        return {"state": copy.deepcopy(self.state), "derived": self.derived, "current": self.current,
                "physics": self.physics.checkpoint(), "fed_props": self._fed_props}

    def restore(self, data: dict) -> None:
        """Continue from :meth:`checkpoint` data (the config must be the same)."""
        self.state, self.derived = copy.deepcopy(data["state"]), data["derived"]
        self.current = data["current"]
        fed = data.get("fed_props")
        if fed is not None and self.base_config.electrolyte.composition_feedback:
            self._feed_props(fed)  # the properties the providers had (lagged, PROPERTY_LAG)
        self.refresh_electrolyte()
        self.physics.restore(self, data["physics"])

    # ------------------------------------------------------------------- stop criteria
    def limited_sum(self) -> float:
        """Mass fraction of the limited elements (anode_alloy.limited_elements) in the alloy."""
        w = self.state.alloy / self.state.alloy.sum()
        return float(sum(w[ALL_ELEMENTS.index(e)] for e in self.config.anode_alloy.limited_elements))

    def thermal_limit_broken(self) -> str | None:
        """Describe the thermal stop criterion of ``[schedule]`` that is met, or None."""
        sched, el, d = self.config.schedule, self.config.electrolyte, self.derived
        C = ZERO_CELSIUS
        ledge = d.heat.ledge_thickness
        if sched.min_ledge_thickness is not None and ledge < sched.min_ledge_thickness:
            return (f"sidewall ledge gone: {ledge * 1e3:.2f} mm below {sched.min_ledge_thickness * 1e3:g} mm "
                    "(the electrolyte touches the lining)")
        if sched.stop_on_frozen_electrolyte:
            if d.temperature < el.liquidus:
                return (f"electrolyte frozen: {d.temperature - C:.1f} degC below its liquidus "
                        f"{el.liquidus - C:g} degC")
            f = self.electrolyte_liquid_fraction()
            if f < sched.min_electrolyte_liquid_fraction:
                return (f"electrolyte frozen: liquid fraction {f:.3f} below "
                        f"{sched.min_electrolyte_liquid_fraction:g}")
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
            broken = self.salt.layer_order_broken(self.salt_props, d.alloy_density,
                                                  ELEMENTS["Al"].liquid_density)
            if broken:
                return broken
        if d.alloy_depth + self.config.geometry.acd + d.cathode_depth > thermal.cavity_height(self.config):
            return "pot full: the cathode metal reached the lid"
        w = s.alloy / s.alloy.sum()
        if w[0] < aa.min_al_fraction:
            return (f"anode alloy Al fell below its {aa.min_al_fraction * 100:g} wt% limit "
                    f"({w[0] * 100:.3f} wt%)")
        limited = self.limited_sum()
        if limited > aa.max_impurity_fraction:
            names = "+".join(aa.limited_elements)
            return (f"anode alloy {names} passed its {aa.max_impurity_fraction * 100:g} wt% "
                    f"limit ({limited * 100:.3f} wt%)")
        return None


# The properties the configuration carries are handed to the providers when one of them has
# moved by more than this fraction (liquidus: this times 1000 K) since the last time: the
# composition moves the conductivity by ~2e-4 per hour of a UBC campaign, and a refresh every
# step would defeat the field levels' reuse of the current solution. The cell voltage then
# lags its composition by at most 0.2 % of the electrolyte ohmic drop.
PROPERTY_LAG = 2e-3


def _column(mass) -> np.ndarray:
    """kg per impurity as a float array of len(IMPURITIES) (a scalar spread over them, as
    ledger.add would broadcast it)."""
    mass = np.asarray(mass, dtype=float)
    if mass.shape != (len(IMPURITIES),):
        mass = np.ascontiguousarray(np.broadcast_to(mass, (len(IMPURITIES),)))
    return mass


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


def current_efficiency(al_produced: float, charge: float) -> float:
    """Faraday's law: produced Al / (Q M_Al / 3F)."""
    return al_produced / (charge * M_AL / (3 * FARADAY)) if charge > 0 else math.nan
