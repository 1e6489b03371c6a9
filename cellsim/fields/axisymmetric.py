"""The field providers of ``cellsim.contracts`` on the pot's grid (r-z, and 3D through
``cellsim.fields.threed``): the lumped inventories driven by real fields.

* :class:`PotMesh`: the pot (cellsim.fields.pot) for the layer depths of the moment, with
  the masks and weights the providers share; rebuilt when a depth differs from the grid's
  by more than ``numerics.remesh_threshold``;
* :class:`FieldElectrical`: the current field (cellsim.fields.current) with the electrolyte
  conductivity kappa(T) * liquid fraction per cell, so a ledge insulates; the rods beyond
  the lid and the contacts are added as the lumped model has them, the reversible voltage
  and external drop as in the lumped model;
* :class:`FieldThermal`: the transient heat field (cellsim.fields.heat), one backward-Euler
  step per campaign step, with the Joule heat of the current field, the electrode and
  reversible heat (spread over the electrolyte), the scrap sink (over the anode alloy) and
  the heater holding the electrolyte mean at the set point; the temperature is the volume
  mean of the electrolyte;
* :class:`FieldSpecies`: the dissolved impurities transported by the finite-volume species
  field (cellsim.fields.species) on the current sub-grid, with the start-of-step temperature
  field and current solution; its mean interface fluxes update the alloy and cathode
  inventories. The field owns the electrolyte's impurities; the cell's inventory is its sum.

The three field providers are a set: the thermal one takes the current solution of the
electrical one for its sources, and the species one takes both.

Coupling (``cellsim.physics``; Lie splitting, lagged by one step): a step advances the heat
field over dt with the sources of the start of the step, books the electrical energy of the
start-of-step voltage and the heater power the heat step applied, advances the inventories
at the start-of-step temperature, then the update solves the current on the new temperature
and layer depths. The splitting error is measured in docs/campaign.md.

Remesh: the enthalpy is remapped (cellsim.fields.remap) and the energy of the remap is
accumulated in ``FieldThermal.remap_energy`` [J]. The concentrations are remapped cell by
cell of the electrolyte (its depth does not change, so the old and new grids have the same
electrolyte cells): each cell keeps its moles, so every element is conserved.
"""

from __future__ import annotations

import math

import numpy as np

from cellsim.config.schema import Config
from cellsim.contracts import CellView, ElectricalPoint, ExchangeStep, Layers, OperatingPoint, Snapshot
from cellsim.elements import ELEMENTS, IMPURITIES
from cellsim.fields.current import CurrentSolver, Electrode, Kinetics, Terminal
from cellsim.fields.heat import BoxSource, HeatState
from cellsim.fields import heat_diagnostics as diagnostics
from cellsim.fields.pot import PotOptions, outside_rod_length
from cellsim.fields.remap import build_layers, remap_enthalpy
from cellsim.fields.solvers import ConvergenceError, overlap_steps, thread_policy, threads_for
from cellsim.fields.species import MetalPool, SpeciesField, SpeciesOptions
from cellsim.lumped import chemistry, electrical
from cellsim.thermo import feed_heating
from cellsim.units import GAS_CONSTANT, ZERO_CELSIUS

START_ITERATIONS = 12  # current-heat iterations of the steady start, at most
START_TOLERANCE = 1e-6  # relative change of the terminal voltage that ends them
START_DAMPED_ITERATIONS = 40  # then at most this many more with under-relaxed heat sources
START_RELAXATION = 0.5  # the under-relaxation of those (FieldThermal.start)
FROZEN_ACROSS = 0.01  # liquid fraction below which an electrolyte cell counts as frozen
KINETICS_REBUILD_K = 2.0  # rebuild the electrode kinetics when the electrolyte mean drifts by this [K]
_IMP = slice(1, None)  # impurities within ALL_ELEMENTS arrays


class ElectrolyteFrozen(RuntimeError):
    """A horizontal section of the electrolyte froze in every cell (no liquid path)."""


# ------------------------------------------------------------------------------------ mesh
# The heat field takes the electrolyte's liquidus and heat capacity (cellsim.electrolyte) when
# the grid is rebuilt: at a remesh, or when they moved by this much since the last build.
ELECTROLYTE_REBUILD_K = 10.0  # K
MAX_LEAD_STEPS = 10_000  # longest interval (steps) a grid placed ahead is placed for
ELECTROLYTE_REBUILD_CP = 0.05  # relative


class PotMesh:
    """The pot's grid for the layer depths of the moment (r-z for a cylindrical pot, x-y-z
    for a rectangular one) and what the field providers share: the electrolyte and alloy
    masks, cell volumes and the electrolyte's volume weights."""

    radiates_at_shell = False
    restart_at_shell = False

    def __init__(self, config: Config):
        self.config = config
        self.resolution = config.numerics.resolution
        self.surface_temperature = PotOptions().surface_temperature  # K (3D staircase shell)
        self.remeshes = 0
        self.pot = None
        # the layers' motion (track): the time [s] and depths [m] of the last update, and each
        # depth's change over the last time step (the rate that places a grid ahead)
        self._last = None
        self._step_change = (0.0, 0.0)
        self._dt = 0.0  # s, the last time step
        # per depth (alloy, cathode): the times [s] of its last two jumps (a tap, a batch feed)
        # and the last one's size [m]
        self._jumps = [(None, None, 0.0), (None, None, 0.0)]

    def _pot_kwargs(self) -> dict:
        """Keyword arguments of cellsim.fields.pot.build_pot for this mesh."""
        return {}

    def build(self, alloy_depth: float, cathode_depth: float) -> None:
        self.pot = build_layers(self.config, self.resolution, alloy_depth, cathode_depth, **self._pot_kwargs())
        self.grid_depths = (alloy_depth, cathode_depth)
        self.anchor = self.grid_depths  # the layers' depths when the grid was built (remesh)
        self.grid_config = self.config  # the salt layer and heat properties this grid has
        g = self.pot.grid
        threads_for(g.n_cells)
        self.electrolyte = g.region_mask("electrolyte")
        self.alloy = g.region_mask("anode_alloy")
        self.volumes = g.volumes()
        # the current and the species live on the box of the cavity from the bottom collector
        # up (the current sub-grid, their owner): the index map (a tuple of slices) and the
        # sub-grid are made once per grid; the heat field's temperature is read through it
        # (a view) and the Joule heat added through it (heat.BoxSource), so no quantity is
        # copied between the grids in a step (snapshots place them on the pot grid for output)
        self.box = self.pot.current_slice
        self.current_grid = self.pot.current_grid()
        self.sub_electrolyte = self.electrolyte[self.box]
        # volume shares of the electrolyte and of the alloy per cell (sum 1): a power spread
        # over a region by volume is power x share [W per cell]
        self.electrolyte_share = np.where(self.electrolyte, self.volumes, 0.0) / self.volumes[self.electrolyte].sum()
        self.alloy_share = np.where(self.alloy, self.volumes, 0.0) / self.volumes[self.alloy].sum()
        self.electrolyte_weight = self.electrolyte_share.reshape(-1)

    def concurrent_steps(self) -> bool:
        """Whether the heat and species steps run in two threads at once on this grid
        (cellsim.fields.solvers.overlap_steps: ``numerics.overlap_steps``, its size, the
        threads allowed and a free core)."""
        return overlap_steps(self.pot.grid.n_cells, self.config.numerics.overlap_steps)

    def enter_thread(self) -> None:
        """A second Python thread is about to step a field of this grid (the overlapped
        species step): its kernels take this grid's thread count (Numba's is per thread)."""
        threads_for(self.pot.grid.n_cells)

    def thread_policy(self) -> dict:
        """The threads as a run's metadata records them (cellsim.fields.solvers.thread_policy)."""
        return thread_policy(self.config.numerics.overlap_steps)

    def track(self, time: float, alloy_depth: float, cathode_depth: float) -> None:
        """Follow the layers (every update): each depth's change over the last time step [m].
        An update at the same time as the last one (a tap, a batch feed, a bleed) is a jump,
        not a rate: it moves the reference only, so the grid placed after a tap follows the
        growth of the step before it. Each depth's last two jumps give their period and the
        last one its size (``ahead``); jumps at one time add up."""
        last = self._last
        if last is not None and time > last[0]:
            self._step_change = (alloy_depth - last[1], cathode_depth - last[2])
            self._dt = time - last[0]
        elif last is not None:
            for i, (new, old) in enumerate(((alloy_depth, last[1]), (cathode_depth, last[2]))):
                if new != old:
                    t1, t2, size = self._jumps[i]
                    self._jumps[i] = (t1, t2, size + new - old) if t2 == time else (t2, time, new - old)
        self._last = (time, alloy_depth, cathode_depth)

    def _steps_to_jump(self, i: int, time: float) -> int | None:
        """Steps of the last step's length until depth ``i``'s next jump, if its last two give a
        period (taps every schedule.tap_interval or at a metal level reached at a steady rate,
        batch feeds); None otherwise."""
        t1, t2, _ = self._jumps[i]
        if t1 is None or self._dt <= 0.0 or t2 <= t1:
            return None
        period = t2 - t1
        ahead = (time - t2) % period
        return max(1, round((period - ahead) / self._dt))

    def needs_remesh(self, alloy_depth: float, cathode_depth: float) -> bool:
        """A depth moved by more than numerics.remesh_threshold since the grid was built
        (``anchor``), or is that far from the grid's own depth (a grid placed ahead whose layer
        turned back), or the salt layer moved (``_electrolyte_moved``)."""
        a0, c0 = self.anchor
        ag, cg = self.grid_depths
        return (max(abs(alloy_depth - a0), abs(cathode_depth - c0), abs(alloy_depth - ag),
                    abs(cathode_depth - cg)) > self.config.numerics.remesh_threshold
                or self._electrolyte_moved())

    def remesh(self, alloy_depth: float, cathode_depth: float) -> None:
        """Rebuild the grid for layers now at these depths [m], placed as
        numerics.remesh_placement says (``ahead``)."""
        self.build(*self.ahead(alloy_depth, cathode_depth))
        self.anchor = (alloy_depth, cathode_depth)

    def ahead(self, alloy_depth: float, cathode_depth: float) -> tuple[float, float]:
        """The depths [m] a rebuilt grid gets. 'at_depth': these. 'ahead': each moved on by
        half the way it will go until the next rebuild, at its last step's change s_i: the
        fastest depth moves more than the threshold h after n = floor(h / max|s|) + 1 steps,
        over which the layer sits 0, s, ..., (n - 1) s past its depth now, so a grid at
        (n - 1) s_i / 2 ahead is off by +(n - 1) s_i / 2 ... -(n - 1) s_i / 2, zero on average
        and at most h / 2 (the lag of a grid at the depth of the moment is (n - 1) s_i / 2 on
        average, first order in h). A depth's jump larger than h (a tap) rebuilds the grid: once
        its period is known, n is cut at the next one. A smaller one (a batch feed) falls inside
        the interval: its share of the interval's steps after it, times its size, is added. The
        grid stays in the cavity: a growing layer takes at most half the gas space left, a
        shrinking one keeps at least half its depth."""
        num = self.config.numerics
        sa, sc = self._step_change
        fastest = max(abs(sa), abs(sc))
        if num.remesh_placement != "ahead" or fastest == 0.0:
            return alloy_depth, cathode_depth
        h = num.remesh_threshold
        # n - 1, bounded: a layer all but still (a current program near zero) would otherwise
        # give an interval of millions of steps to sum the feeds' share over
        steps = min(math.floor(h / fastest), MAX_LEAD_STEPS)
        now = self._last[0]
        due = [self._steps_to_jump(i, now) for i in (0, 1)]
        for i in (0, 1):  # a tap rebuilds sooner: the interval it ends is shorter
            if due[i] is not None and abs(self._jumps[i][2]) > h:
                steps = min(steps, due[i] - 1)
        half = 0.5 * steps
        lead = [half * sa, half * sc]
        for i in (0, 1):  # jumps within the interval: their mean over its steps 0 .. n - 1
            size = self._jumps[i][2]
            if due[i] is not None and abs(size) <= h and due[i] <= steps:
                period = max(1, round((self._jumps[i][1] - self._jumps[i][0]) / self._dt))
                after = sum(len(range(due[i], k + 1, period)) for k in range(steps + 1))
                lead[i] += size * after / (steps + 1)
        geo = self.config.geometry
        cavity = geo.anode_alloy_depth + geo.acd + geo.cathode_metal_depth + geo.freeboard
        room = 0.5 * max(cavity - alloy_depth - geo.acd - cathode_depth, 0.0)
        growth = max(lead[0], 0.0) + max(lead[1], 0.0)
        if growth > room:
            lead = [x * room / growth if x > 0.0 else x for x in lead]
        return (alloy_depth + max(lead[0], -0.5 * alloy_depth),
                cathode_depth + max(lead[1], -0.5 * cathode_depth))

    def _electrolyte_moved(self) -> bool:
        """The salt layer (its volume follows its composition, cellsim.electrolyte) or its heat
        properties moved since the grid was built: depth by numerics.remesh_threshold,
        liquidus by ELECTROLYTE_REBUILD_K, heat capacity by ELECTROLYTE_REBUILD_CP (relative)."""
        old, new = self.grid_config, self.config
        e0, e1 = old.electrolyte, new.electrolyte
        return (abs(new.geometry.acd - old.geometry.acd) > new.numerics.remesh_threshold
                or abs(e1.liquidus - e0.liquidus) > ELECTROLYTE_REBUILD_K
                or abs(e1.specific_heat - e0.specific_heat) > ELECTROLYTE_REBUILD_CP * e0.specific_heat)

    def electrolyte_mean(self, T: np.ndarray) -> float:
        """Volume mean of a cell field over the electrolyte."""
        return float(np.dot(T.reshape(-1), self.electrolyte_weight))

    def snapshot(self, time: float, thermal_provider: "FieldThermal",
                 electrical_provider: "FieldElectrical", species: "FieldSpecies") -> Snapshot:
        """Fields on the full r-z pot grid (SI): potential [V], current density (r, z) [A/m2],
        temperature [K], liquid fraction, dissolved impurity concentration per IMPURITIES
        element [mol/m3], material ids, and the grid faces [m]."""
        pot, sol, hs = self.pot, electrical_provider.solution, thermal_provider.heat_state
        g, j = pot.grid, sol.current_density
        conc = np.stack([pot.embed(c)[:, 0, :] for c in species.concentration])
        fields = {"concentration": conc, "time": time, "r_faces": g.faces[0], "z_faces": g.faces[2],
                  "material": g.material[:, 0, :], "potential": pot.embed(sol.phi)[:, 0, :],
                  "current_density": np.stack([pot.embed(j[0])[:, 0, :], pot.embed(j[2])[:, 0, :]]),
                  "temperature": hs.T[:, 0, :], "liquid_fraction": hs.frac[:, 0, :]}
        return Snapshot(fields, g.regions)

    def checkpoint(self) -> dict:
        return {"grid_depths": self.grid_depths, "remeshes": self.remeshes,
                "surface_temperature": self.surface_temperature, "grid_config": self.grid_config,
                "anchor": self.anchor, "motion": (self._last, self._step_change, self._dt, tuple(self._jumps))}

    def restore(self, data: dict) -> None:
        self.remeshes, self.surface_temperature = data["remeshes"], data["surface_temperature"]
        config, self.config = self.config, data.get("grid_config", self.config)
        self.build(*data["grid_depths"])  # the grid as it was, with the salt it was built with
        self.config = config
        self.anchor = tuple(data.get("anchor", self.grid_depths))
        self._last, self._step_change, self._dt, jumps = data.get(
            "motion", (None, (0.0, 0.0), 0.0, [(None, None, 0.0)] * 2))
        self._jumps = list(jumps)


# ------------------------------------------------------------------------------ electrical
class FieldElectrical:
    """The current field of the pot (module docstring)."""

    def __init__(self, config: Config, mesh: PotMesh):
        self.config, self.mesh = config, mesh
        self.solution = None
        self._current_solver = self._last_solver = None
        self._kin_T = self._solution_key = self._sigma_ref = None
        self._warm = None  # the warm start kept at a sync point (reset_caches)

    def rebuilt(self, cell: CellView, old) -> None:
        self._last_solver = self._current_solver  # warm start across a remesh
        self._current_solver, self._kin_T, self._solution_key = None, None, None
        self._sigma_ref = None  # conductivity of the last current solve on this grid

    def reset_caches(self) -> None:
        """A sync point: drop the solver (its kinetics and multigrid hierarchy are rebuilt at
        the next solve) and keep only its warm start (``CurrentSolver.warm_state``: the last
        interface currents and solutions, None for a direct backend), which the checkpoint
        holds, so a resumed run starts its next solve from the same arrays. From zero instead,
        a 3D solve after a sync point took two Newton iterations and ~28 V-cycles against
        one and ~15 (docs/speed.md)."""
        held = self._current_solver if self._current_solver is not None else self._last_solver
        if held is not None:
            self._warm = held.warm_state()
        self._current_solver, self._kin_T, self._sigma_ref, self._last_solver = None, None, None, None

    def checkpoint(self) -> dict:
        return {"solution": self.solution, "warm": self._warm}

    def restore(self, cell: CellView, data: dict) -> None:
        self._last_solver = None  # as after reset_caches: no warm start from the set-up solve
        self._warm = data.get("warm")  # older checkpoints: none (the next solve from zero)
        self.solution = data["solution"]
        self._solution_key = (0, cell.current)

    def sigma(self, hs: HeatState) -> np.ndarray:
        """Conductivity [S/m] of the current sub-grid: kappa(T) x liquid fraction in the
        electrolyte (x the pot's plan_factor, if any)."""
        pot, el, m = self.mesh.pot, self.config.electrolyte, self.mesh.sub_electrolyte
        sub = self.mesh.box
        sigma = pot.sigma[sub].copy()
        T, f = hs.T[sub][m], hs.frac[sub][m]
        kappa = el.conductivity * np.exp(-el.conductivity_activation_energy / GAS_CONSTANT
                                         * (1.0 / T - 1.0 / el.conductivity_reference_temperature))
        sigma[m] = kappa * np.maximum(f, 1e-6)
        if pot.plan_factor is not None:  # a 3D staircase cylinder's cavity (cellsim.fields.pot)
            sigma[m] *= pot.plan_factor[sub][m]
        return sigma

    def solve(self, cell: CellView, hs: HeatState, sigma: np.ndarray | None = None):
        """The current solution on the heat state ``hs`` (kinetics rebuilt when the
        electrolyte mean drifted by more than KINETICS_REBUILD_K)."""
        T_electrolyte = self.mesh.electrolyte_mean(hs.T)
        if self._current_solver is None or abs(T_electrolyte - self._kin_T) > KINETICS_REBUILD_K:
            kin = self.config.kinetics
            model = "linear" if kin.model == "linear" else "butler_volmer"

            def k(i0):
                return Kinetics(i0, T_electrolyte, kin.alpha_anodic, kin.alpha_cathodic, 3, model)

            electrodes = [Electrode("anode", "anode_alloy", "electrolyte", k(kin.anode_exchange_current_density)),
                          Electrode("cathode", "cathode_metal", "electrolyte",
                                    k(kin.cathode_exchange_current_density))]
            solver = CurrentSolver(self.mesh.current_grid, electrodes, Terminal("z-"), Terminal("z+", "rods"),
                                   solver=self.config.numerics.linear_solver.current)
            held = self._current_solver if self._current_solver is not None else self._last_solver
            solver.warm_start(held if held is not None else self._warm)
            self._current_solver = solver
            self._kin_T = T_electrolyte
        self._check_not_frozen_across(cell, hs)
        return self._current_solver.solve(self.sigma(hs) if sigma is None else sigma, cell.current)

    def _check_not_frozen_across(self, cell: CellView, hs: HeatState) -> None:
        """ElectrolyteFrozen if a horizontal section of the electrolyte is frozen in every cell
        (liquid fraction below FROZEN_ACROSS): no liquid path joins the electrodes, the imposed
        current would have to pass the solid electrolyte and its Joule heat would run away."""
        m = self.mesh.sub_electrolyte
        f = np.where(m, hs.frac[self.mesh.box], -1.0)
        layers = np.nonzero(m.any(axis=(0, 1)))[0]
        best = f[:, :, layers].max(axis=(0, 1))
        if np.all(best >= FROZEN_ACROSS):
            return
        k = int(layers[np.argmin(best)])
        z = float(self.mesh.current_grid.centres(2)[k])
        el = self.config.electrolyte
        raise ElectrolyteFrozen(
            f"the electrolyte is frozen across at z = {z:.4f} m (liquid fraction below "
            f"{FROZEN_ACROSS:g} in every cell of that section) at t = {cell.state.time / 86400:.3f} d: "
            f"no liquid path joins the electrodes and the pot cannot carry {cell.current:.4g} A. "
            f"Check the set point ({self.config.operation.temperature - ZERO_CELSIUS:.1f} degC) against the "
            f"electrolyte liquidus ({el.liquidus - ZERO_CELSIUS:.1f} degC), the side insulation, and the "
            f"electrolyte mixing (electrolyte.eddy_diffusivity = {el.eddy_diffusivity:g} m2/s)")

    def update(self, cell: CellView, thermal_provider: "FieldThermal") -> None:
        """Solve the current unless the last solution (same grid, same current, electrolyte
        mean within KINETICS_REBUILD_K of its kinetics) was computed with conductivities
        within ``numerics.current_reuse`` (relative, every electrolyte cell; 0: solve every
        step). Idempotent: the same
        heat state (``FieldThermal.version``) and current give the same solution."""
        key = (thermal_provider.version, cell.current)
        if key == self._solution_key:
            return
        hs = thermal_provider.heat_state
        sigma = self.sigma(hs)
        ref = self._sigma_ref
        reuse = self.config.numerics.current_reuse
        if not (ref is not None and ref[1] == cell.current and reuse > 0.0
                and abs(self.mesh.electrolyte_mean(hs.T) - self._kin_T) <= KINETICS_REBUILD_K
                and np.max(np.abs(sigma[self.mesh.sub_electrolyte] - ref[0][self.mesh.sub_electrolyte])
                           / ref[0][self.mesh.sub_electrolyte]) <= reuse):
            self.solution = self.solve(cell, hs, sigma)
            self._sigma_ref = (sigma, cell.current)
        self._solution_key = key

    def outside_resistance(self) -> float:
        """Rods beyond the lid and the contacts [ohm] (outside the field)."""
        col = self.config.collectors
        outside = outside_rod_length(self.config)
        rod_area = col.rod_count * math.pi * col.rod_diameter**2 / 4.0
        return col.rod_resistivity * outside / rod_area + col.contact_resistance

    def at(self, cell: CellView, layers: Layers, temperature: float) -> ElectricalPoint:
        """Voltage terms of the present solution; the reversible voltage at ``temperature``."""
        b, I = self.solution.breakdown, cell.current
        voltage = {
            "electrolyte_ohmic": b["electrolyte_ohmic"], "anode_alloy_ohmic": b["anode_alloy_ohmic"],
            "cathode_metal_ohmic": b["cathode_metal_ohmic"],
            "collectors_ohmic": b["collectors_ohmic"] + I * self.outside_resistance(),
            "anode_overpotential": abs(b["anode_overpotential"]),
            "cathode_overpotential": abs(b["cathode_overpotential"]),
            "reversible": electrical.reversible_voltage(temperature, layers.a_al_cathode, layers.a_al_alloy),
            "external": self.config.operation.external_voltage_drop,
        }
        return ElectricalPoint(voltage, I * (self.solution.terminal_voltage + voltage["reversible"]))


# --------------------------------------------------------------------------------- thermal
def _relaxed(old, new, omega: float):
    """``old + omega (new - old)`` of a heat source (cell powers, or a BoxSource on one box)."""
    if isinstance(new, BoxSource):
        return BoxSource(new.box, old.power + omega * (new.power - old.power))
    return old + omega * (new - old)


class FieldThermal:
    """The transient heat field of the pot (module docstring)."""

    def __init__(self, config: Config, mesh: PotMesh):
        self.config, self.mesh = config, mesh
        self.remap_energy = 0.0  # J, cumulative energy of the grid remaps
        self.version = 0  # counts the changes of the heat state (keys the current solution)

    def rebuilt(self, cell: CellView, old) -> None:
        pot = self.mesh.pot
        previous = getattr(self, "heat_solver", None)
        num = self.config.numerics
        self.heat_solver = pot.heat_solver(num.linear_solver.heat, num.heat_tolerance)
        self.heater = pot.heater(self.config.operation.temperature)
        if old is not None:
            if previous is not None:  # a remesh: the new solves start from the last grid's
                self.heat_solver.adopt_history(previous)
            hs = self.heat_state
            H, energy = remap_enthalpy(old.grid, pot.grid, hs.H)
            self.heat_state = self.heat_solver._state_from_h(H, hs.time, hs.heater_power)
            self.remap_energy += energy
            self.version += 1

    def reset_caches(self) -> None:
        self.heat_solver = self.mesh.pot.heat_solver(self.config.numerics.linear_solver.heat,
                                                     self.config.numerics.heat_tolerance)

    def checkpoint(self) -> dict:
        hs = self.heat_state
        return {"T": hs.T.copy(), "H": hs.H.copy(), "frac": hs.frac.copy(), "time": hs.time,
                "heater_power": hs.heater_power, "balance": self.balance, "remap_energy": self.remap_energy}

    def restore(self, cell: CellView, f: dict) -> None:
        self.heat_state = HeatState(f["T"].copy(), f["H"].copy(), f["frac"].copy(), f["time"], f["heater_power"])
        self.balance, self.remap_energy = f["balance"], f["remap_energy"]
        self.version = 0

    def _feed_sink(self, cell: CellView, T: float) -> float:
        return cell.state.feed_rate * feed_heating(self.config.scrap.feed_temperature, T)

    def _sources(self, cell: CellView, solution, feed_sink: float, reversible: float = 0.0) -> dict:
        """Heat sources of the heat field from a current solution, as powers per cell [W]:
        the Joule heat where the current solver dissipated it, the electrode and reversible
        heat spread over the electrolyte and the feed's sink over the alloy by volume."""
        mesh = self.mesh
        interface = sum(abs(p) for p in solution.interface_power.values()) + reversible * cell.current
        return {"joule": BoxSource(mesh.box, solution.joule_power), "electrodes": interface * mesh.electrolyte_share,
                "feed": -feed_sink * mesh.alloy_share}

    def start(self, cell: CellView, layers: Layers, electrical_provider: FieldElectrical,
              damped_iterations: int = START_DAMPED_ITERATIONS) -> None:
        """Fields of a pot in operation: steady heat at the set point with its own Joule heat.

        Current and heat are iterated (Picard) until the terminal voltage settles. Where the
        pot runs above its set point on its own Joule heat, the iteration can alternate (a
        warmer electrolyte conducts better, makes less heat, and the next iterate is cooler: near
        the liquidus the ledge adds to it); if it has not settled in START_ITERATIONS, it goes
        on from where it is, at most ``damped_iterations`` more times, with the heat sources
        under-relaxed by START_RELAXATION (each new source field half-way between the last one
        and the current solution's), which damps an alternation of ratio r to 1 - (1 + r) / 2
        per iteration. Starts that settle undamped are unchanged."""
        T = self.config.operation.temperature
        self.heat_state = self.heat_solver.state(T)
        self.version = 0
        previous, change = math.inf, math.inf
        sources, omega = None, 1.0
        for k in range(START_ITERATIONS + damped_iterations):
            if k == START_ITERATIONS:
                omega = START_RELAXATION
            solution = electrical_provider.solve(cell, self.heat_state)
            new = self._sources(cell, solution, self._feed_sink(cell, T))
            sources = new if omega == 1.0 else {
                key: _relaxed(sources[key], new[key], omega) for key in new}
            self.heat_state, self.balance = self.heat_solver.steady(sources, self.heater, self.heat_state)
            self.version += 1
            change = abs(solution.terminal_voltage - previous)
            if change <= omega * START_TOLERANCE * abs(solution.terminal_voltage):
                break
            previous = solution.terminal_voltage
        else:
            raise ConvergenceError(
                f"the steady start of the {self.config.numerics.model} pot did not settle in "
                f"{START_ITERATIONS} current-heat iterations nor in {damped_iterations} more "
                f"with the heat sources under-relaxed by {START_RELAXATION:g} (terminal voltage "
                f"{previous:.6g} V, last change {change:.3g} V); near the electrolyte liquidus the "
                "coupled start can cycle between ledge states (e.g. without electrolyte mixing, "
                "eddy_diffusivity = 0)")

    def settle(self, cell: CellView, electrical_provider: FieldElectrical) -> None:
        solution = electrical_provider.solve(cell, self.heat_state)
        sources = self._sources(cell, solution, self._feed_sink(cell, self.config.operation.temperature))
        self.heat_state, self.balance = self.heat_solver.steady(sources, self.heater, self.heat_state)
        self.version += 1

    def shell_temperature(self) -> float:
        return diagnostics.shell_temperature(self.mesh.pot, self.heat_state.T, self.balance)

    def step_temperature(self, cell: CellView) -> np.ndarray:
        return self.heat_state.T[self.mesh.box]  # a view; the heat step makes a new array

    def advance(self, cell: CellView, dt: float, electrical_provider: FieldElectrical) -> float:
        d = cell.derived
        sources = self._sources(cell, electrical_provider.solution, d.feed_sink, d.voltage["reversible"])
        self.heat_state, self.balance = self.heat_solver.step(self.heat_state, dt, sources, self.heater)
        self.version += 1
        return self.balance.heater  # the ledger books the heater power the heat step applied

    def operating_point(self, cell: CellView, layers: Layers,
                        electrical_provider: FieldElectrical) -> OperatingPoint:
        mesh, hs, bal = self.mesh, self.heat_state, self.balance
        pot = mesh.pot
        T = mesh.electrolyte_mean(hs.T)
        point = electrical_provider.at(cell, layers, T)
        loss = diagnostics.heat_loss(pot, hs, bal)
        m, vol = mesh.electrolyte, mesh.volumes
        liquid = float(np.sum(hs.frac[m] * vol[m]) / vol[m].sum())
        return OperatingPoint(T, point.voltage, loss, point.joule_heat, self._feed_sink(cell, T),
                              bal.heater, -bal.heater_demand, liquid)


# --------------------------------------------------------------------------------- species
class FieldSpecies:
    """The finite-volume species field of the electrolyte (module docstring)."""

    def __init__(self, config: Config, mesh: PotMesh):
        self.config, self.mesh = config, mesh
        self.field = None
        self._of = None  # (config, species options, alloy activity coefficients) of ``_settings``

    def _settings(self) -> tuple:
        """(SpeciesOptions, the alloy's activity coefficients) of the configuration of the
        moment (``Physics.configure`` replaces it), built once per configuration."""
        if self._of is None or self._of[0] is not self.config:
            cfg = self.config
            self._of = (cfg, SpeciesOptions.from_config(cfg),
                        np.array([cfg.anode_alloy.activity_coefficients.get(k, 1.0) for k in IMPURITIES]))
        return self._of[1:]

    def rebuilt(self, cell: CellView, old) -> None:
        previous = self.field
        self.field = SpeciesField(self.mesh.current_grid, self._settings()[0])
        if old is not None:
            self.concentration = _remap_concentration(previous, self.field, self.concentration)
            self.field.adopt_factors(previous)

    def reset_caches(self) -> None:
        self.field.reset_caches()

    def checkpoint(self) -> dict:
        return {"concentration": self.concentration.copy(), "solver": self.field.solver_state()}

    def restore(self, cell: CellView, data: dict) -> None:
        self.concentration = data["concentration"].copy()
        self.field.restore_solver(data.get("solver"))  # older checkpoints: none (fresh factors)

    def start(self, cell: CellView) -> None:
        self.concentration = self.field.uniform(cell.state.electrolyte / chemistry.MOLAR_MASS)

    def electrolyte_changed(self, cell: CellView) -> None:
        """The cell changed the electrolyte's impurities (renewal, precipitation): scale each
        element's concentration field to the cell's inventory."""
        old = self.electrolyte_inventory()
        new = cell.state.electrolyte
        scale = np.divide(new, old, out=np.zeros_like(old), where=old > 0.0)
        self.concentration = self.concentration * scale.reshape((-1,) + (1,) * (self.concentration.ndim - 1))

    def electrolyte_inventory(self) -> np.ndarray:
        """Impurity masses [kg] in the electrolyte (the remap conserves them to round-off)."""
        return self.field.inventory(self.concentration) * chemistry.MOLAR_MASS

    def add(self, masses: np.ndarray, where: str = "electrolyte") -> None:
        """Impurities [kg] entering the electrolyte from outside the exchange: spread over its
        cells ('electrolyte': make-up salts), over the cells along the side wall ('wall': lining) or
        over those on the alloy interface ('anode': co-dissolution), by volume."""
        self.concentration = self.field.add_placed(self.concentration, masses / chemistry.MOLAR_MASS, where)

    def exchange(self, cell: CellView, dt: float, temperature, electrical_provider,
                 alloy_feed: np.ndarray | None = None) -> ExchangeStep:
        """The species field over dt (start-of-step temperature field and current solution);
        ``alloy_feed`` [kg/s per IMPURITIES element]: the continuous feed into the alloy over
        the step, a source of the alloy pool's row of the implicit system."""
        s, d = cell.state, cell.derived
        mol_imp = chemistry.MOLAR_MASS
        alloy = MetalPool.from_masses(s.alloy, s.alloy.sum() / d.alloy_density, self._settings()[1],
                                      None if alloy_feed is None else alloy_feed / mol_imp)
        alloy_new = s.alloy[_IMP]
        if alloy_feed is not None:
            alloy_new = alloy_new + dt * alloy_feed
        cathode = MetalPool.from_masses(s.cathode, s.cathode.sum() / ELEMENTS["Al"].liquid_density)
        res = self.field.step(dt, self.concentration, alloy, cathode, temperature,
                              current=electrical_provider.solution, alf3_activity=cell.alf3_activity())
        self.concentration = res.c
        return ExchangeStep(alloy_new - dt * res.flux_alloy_to_salt * mol_imp,
                            self.field.inventory(res.c) * mol_imp,
                            s.cathode[_IMP] + dt * res.flux_salt_to_cathode * mol_imp,
                            res.flux_alloy_to_salt, res.flux_salt_to_cathode)


def _remap_concentration(old: SpeciesField, new: SpeciesField, c: np.ndarray) -> np.ndarray:
    """Concentrations of ``old``'s electrolyte cells onto ``new``'s, cell by cell in the same
    (C) order, each cell keeping its moles (c V), when only the layer's position changed; when
    its depth changed, each element spread uniformly over the new layer. Both conserve every
    element."""
    out = np.zeros((c.shape[0],) + new.grid.shape)
    if old.n != new.n or old.mask.sum(axis=2).tolist() != new.mask.sum(axis=2).tolist():
        # the salt layer itself changed (its volume follows its composition): each element's
        # moles spread uniformly over the new layer (conserved; the well-mixed bulk is nearly
        # uniform, the films re-form within a step)
        out[:, new.mask] = old.inventory(c)[:, None] / new.volumes.sum()
        return out
    out[:, new.mask] = c[:, old.mask] * old.volumes / new.volumes
    return out
