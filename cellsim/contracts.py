"""The written contract between the runner, the cell and the physics providers.

Three roles meet in a campaign (docs/architecture.md draws the picture):

* the runner (``cellsim.campaign``) owns the clock and the scheduled operations
  (``cellsim.schedule``); it talks to a :class:`cellsim.cell.Cell` only;
* the cell (``cellsim.cell.Cell``) owns the state (inventories, ledgers), the operations on
  it (feed, taps, bleeds, additions) and the stop criteria; every change of the state goes
  through it and it keeps the derived quantities current. It knows no model level: it holds
  one :class:`Physics`, the composition of the providers below;
* a provider computes one physical effect from the cell's state, as a lumped (0D) or a
  field implementation: :class:`Electrical` (voltage terms, Joule heat), :class:`Thermal`
  (temperature, heat losses, heater), :class:`Species` (exchange of the dissolved
  impurities between the metals and the electrolyte). Field providers share a
  :class:`Mesh` (the pot's grid, rebuilt when the layers move).

A model level (``numerics.model``) is an entry of ``cellsim.models.LEVELS`` naming a mesh
(or none) and one provider per role. Providers read the cell through :class:`CellView` and
never change it: what they produce (an :class:`OperatingPoint`, an :class:`ExchangeStep`)
is handed back and the cell books it. The coupling order is fixed in
``cellsim.physics.Physics`` and is the same for every level.

The roles are ``typing.Protocol`` classes (structural: a provider does not inherit from
them); ``tests/unit/test_contracts.py`` runs every registered level, and a toy level defined
in the test, through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .config.schema import Config


# ------------------------------------------------------------------ records passed between roles
@dataclass(frozen=True, slots=True)
class Layers:
    """What the cell derives from its inventories alone (SI)."""

    alloy_depth: float  # m
    cathode_depth: float  # m
    alloy_density: float  # kg/m3
    a_al_alloy: float  # Raoultian Al activity of the anode alloy
    a_al_cathode: float  # and of the cathode metal


@dataclass(frozen=True, slots=True)
class ElectricalPoint:
    """An electrical provider's answer at one electrolyte temperature (SI)."""

    voltage: dict  # term -> V (``cellsim.lumped.electrical.VOLTAGE_TERMS``)
    joule_heat: float  # W released inside the pot
    clamp_heat: float = 0.0  # W of the rods' Joule heat leaving at the clamps (lumped level)


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """A thermal provider's answer: the operating point of the cell (SI)."""

    temperature: float  # K, electrolyte (mean at field levels)
    voltage: dict  # term -> V
    heat: object  # cellsim.lumped.thermal.HeatLoss (W by face, ledge thickness, shell temperature)
    joule_heat: float  # W
    feed_sink: float  # W taken by the scrap feed
    heater_power: float  # W
    heat_margin: float  # W of surplus at the set point (negative: heater needed)
    liquid_fraction: float  # liquid volume fraction of the electrolyte


@dataclass(frozen=True, slots=True)
class ExchangeStep:
    """A species provider's answer for one step: new impurity inventories [kg per
    ``IMPURITIES`` element] of the alloy, the electrolyte and the cathode metal, and the mean
    fluxes over the step, alloy -> electrolyte and electrolyte -> cathode [mol/s]."""

    alloy: np.ndarray
    electrolyte: np.ndarray
    cathode: np.ndarray
    flux_alloy_to_electrolyte: np.ndarray
    flux_electrolyte_to_cathode: np.ndarray


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Fields of a field level at one time (``cellsim.snapshots`` layout) and the region ids."""

    fields: dict
    regions: dict


# -------------------------------------------------------------------------------- the roles
@runtime_checkable
class CellView(Protocol):
    """What a provider may read of the cell (and nothing it may write)."""

    config: Config
    current: float  # A, set by the runner's current program
    state: object  # cellsim.cell.CellState
    derived: object  # cellsim.cell.Derived of the last update

    def alf3_activity(self) -> float: ...


@runtime_checkable
class Mesh(Protocol):
    """The discretised pot shared by the field providers of a level (None at the lumped
    level). ``build`` makes the grid for the given layer depths; the providers are told
    through their ``rebuilt`` hook."""

    pot: object  # cellsim.fields.pot.PotModel
    remeshes: int  # grid rebuilds since the start because the layers moved
    radiates_at_shell: bool  # the pot's shell film depends on ``surface_temperature`` [K]
    restart_at_shell: bool  # settle the start again once the shell temperature is known
    surface_temperature: float

    def build(self, alloy_depth: float, cathode_depth: float) -> None: ...

    def track(self, time: float, alloy_depth: float, cathode_depth: float) -> None:
        """Every update: the layers' depths [m] at ``time`` [s] (their motion places a grid)."""

    def needs_remesh(self, alloy_depth: float, cathode_depth: float) -> bool: ...

    def remesh(self, alloy_depth: float, cathode_depth: float) -> None:
        """Rebuild for layers now at these depths (the grid may be placed ahead of them)."""

    def concurrent_steps(self) -> bool:
        """Whether the heat and species steps may run in two threads at once (both read only
        the start of the step; worth it on a large grid with two threads allowed)."""

    def enter_thread(self) -> None:
        """Called first in a second thread that steps a field beside the calling one (the
        kernels' thread settings are per thread)."""

    def thread_policy(self) -> dict:
        """The threads' settings as a run's metadata records them (JSON-able)."""

    def snapshot(self, time: float, thermal: "Thermal", electrical: "Electrical",
                 species: "Species") -> Snapshot: ...

    def checkpoint(self) -> dict: ...

    def restore(self, data: dict) -> None: ...


@runtime_checkable
class Provider(Protocol):
    """What every provider has: its configuration (``Physics.configure`` replaces it when the
    electrolyte's properties move), hooks for the mesh and for checkpoints."""

    config: Config

    def rebuilt(self, cell: CellView, old: object | None) -> None:
        """The mesh was (re)built; ``old`` is the previous PotModel when the layers moved
        (map the fields onto the new grid), None when the grid is new or the same."""

    def reset_caches(self) -> None:
        """Drop factorisations and warm starts (the run then depends on the state alone)."""

    def checkpoint(self) -> dict: ...

    def restore(self, cell: CellView, data: dict) -> None: ...


@runtime_checkable
class Electrical(Provider, Protocol):
    """Voltage terms and Joule heat. ``solution`` is the current field of a field level
    (None at the lumped level), the input of the field providers of heat and species."""

    solution: object | None

    def update(self, cell: CellView, thermal: "Thermal") -> None:
        """Bring what :meth:`at` needs up to date with the cell and the thermal provider
        (field: solve the current if the conductivities moved). Idempotent."""

    def at(self, cell: CellView, layers: Layers, temperature: float) -> ElectricalPoint: ...


@runtime_checkable
class Thermal(Provider, Protocol):
    """Temperature, heat losses and heater: the operating point, and its advance in time."""

    def start(self, cell: CellView, layers: Layers, electrical: Electrical) -> None:
        """A pot in operation at the start of the campaign (field: steady heat)."""

    def operating_point(self, cell: CellView, layers: Layers,
                        electrical: Electrical) -> OperatingPoint: ...

    def settle(self, cell: CellView, electrical: Electrical) -> None:
        """One more steady current-heat pass on a rebuilt mesh (field levels)."""

    def shell_temperature(self) -> float:
        """Mean outer shell temperature [K] of the present heat state (field levels)."""

    def step_temperature(self, cell: CellView):
        """Temperature the species step sees [K]: the start-of-step value (scalar or field)."""

    def advance(self, cell: CellView, dt: float, electrical: Electrical) -> float:
        """Advance the heat over dt [s]; return the heater power applied [W]."""


@runtime_checkable
class Species(Provider, Protocol):
    """Dissolved impurities: exchange between the metals and the electrolyte."""

    def start(self, cell: CellView) -> None: ...

    def exchange(self, cell: CellView, dt: float, temperature, electrical: Electrical,
                 alloy_feed: np.ndarray | None = None) -> ExchangeStep:
        """The impurities over dt. ``alloy_feed`` [kg/s per IMPURITIES element], when given:
        fed into the alloy continuously over the step, a source term of the same implicit
        step (the new alloy inventory includes ``dt * alloy_feed``; the fluxes are the
        interfaces')."""

    def electrolyte_changed(self, cell: CellView) -> None:
        """The cell changed the electrolyte's impurity inventory outside the exchange (renewal,
        precipitation): a provider that owns the inventory takes the cell's (else nothing)."""

    def electrolyte_inventory(self) -> np.ndarray | None:
        """Impurity masses [kg] in the electrolyte if this provider owns them (a field), else
        None (the cell's inventory is then the only representation)."""

    def add(self, masses: np.ndarray, where: str = "electrolyte") -> None:
        """Impurities [kg per IMPURITIES element] entering the electrolyte from outside the
        exchange (the cell books them in its inventory too); ``where`` they enter: 'electrolyte'
        (spread through it), 'wall' (the cells along the side wall: lining), 'anode' (the
        cells on the alloy interface: co-dissolution). A provider without cells ignores it."""


@runtime_checkable
class PurityPathways(Protocol):
    """Rates of the purity pathways and current-efficiency losses (``cellsim.purity``) for
    the cell's present state; the cell books them. One implementation serves every level
    (``cellsim.purity.pathways.Pathways``): the rates depend on lumped quantities only."""

    cations: tuple  # co-depositing cations configured (purity.codeposition)

    def codissolution(self, alloy: np.ndarray, alloy_density: float, current: float) -> np.ndarray: ...

    def entrainment(self, al_deposited: float, alloy: np.ndarray) -> np.ndarray: ...

    def salt_carried(self, al_deposited: float, salt_mass: float) -> float: ...

    def makeup(self, alf3_mass: float, base_mass: float) -> np.ndarray: ...

    def lining(self, ledge_thickness: float) -> np.ndarray: ...

    def collectors(self, cathode: np.ndarray, cathode_depth: float) -> np.ndarray: ...

    def cation_rates(self, T: float, a_alx3: float, a_al: float, al_deposition: float) -> np.ndarray: ...

    def dissolved_metal(self, T: float, a_al_cathode: float, a_al_alloy: float,
                        ratio: float | None = None) -> float: ...

    def oxidation(self) -> float: ...

    def shunt_current(self, current: float) -> float: ...


@runtime_checkable
class Electrolyte(Protocol):
    """The electrolyte's composition and properties (``cellsim.electrolyte.provider``): the
    component masses from the cell's inventories (AlX3, base salt, the impurity halides), and
    conductivity, density (salt volume, ACD), liquidus, heat capacity and AlX3 activity from
    them. 0D at every level (the bulk composition). It reads the state; the cell books the
    operations it describes (precipitation above a solubility, partial renewal)."""

    names: tuple  # component names

    def masses(self, state) -> np.ndarray: ...

    def mole_fractions(self, state) -> dict: ...

    def evaluate(self, state): ...

    def effective_config(self, props, layers: bool) -> Config: ...

