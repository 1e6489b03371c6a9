"""The axisymmetric (2D r-z) campaign model: the lumped inventories driven by real fields.

``AxisymmetricModel`` has the interface of ``cellsim.lumped.LumpedModel`` (it is a subclass:
state, derived, update_state, step, feed_to_setpoint, remove_sludge, tap,
alloy_limit_broken, totals, checkpoint, restore), so the one runner of
``cellsim.campaign`` drives it. What changes is where the derived quantities come from:

* the voltage terms from the current field (cellsim.fields.current) of the pot
  (cellsim.fields.pot) with the electrolyte conductivity kappa(T) * liquid fraction per
  cell, so a ledge insulates; the rods beyond the lid and the contacts are added as the
  lumped model has them, the reversible voltage and external drop as in the lumped model;
* the temperature (volume mean of the electrolyte), heater power, losses by face and
  ledge from the transient heat field (cellsim.fields.heat): one backward-Euler step per
  campaign step, with the Joule heat of the current field, the electrode and reversible
  heat (spread over the electrolyte), the scrap sink (over the anode alloy) and the
  heater holding the electrolyte mean at the set point;
* the dissolved impurities are transported by the finite-volume species field
  (cellsim.fields.species) on the current sub-grid, with the start-of-step temperature
  field and current solution, instead of the lumped three-pool exchange (``exchange``
  is overridden); its mean interface fluxes update the alloy and cathode inventories, and
  the rest of the bookkeeping (Al carries the rest of the current, back reaction, AlF3,
  sludge, taps) is the lumped model's, unchanged.

Coupling (Lie splitting, lagged by one step): step(dt) advances the heat field over dt
with the sources of the start of the step, books the electrical energy of the start-of-step
voltage and the heater power the heat step applied, advances the inventories at the
start-of-step temperature, then ``update_state`` solves the current on the new
temperature and layer depths. The splitting error is measured in docs/campaign.md.

Layer depths: the grid is rebuilt when a depth differs from the grid's by more than
``numerics.remesh_threshold``; the enthalpy is remapped (cellsim.fields.remap) and the
energy of the remap is accumulated in ``remap_energy`` [J]. The concentrations are remapped
cell by cell of the electrolyte (its depth does not change, so the old and new grids have
the same electrolyte cells): each cell keeps its moles, so every element is conserved.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from cellsim.elements import ELEMENTS, IMPURITIES
from cellsim.fields.current import CurrentSolver, Electrode, Kinetics, Terminal
from cellsim.fields.heat import HeatState
from cellsim.fields.pot import outside_rod_length
from cellsim.fields.remap import build_layers, remap_enthalpy
from cellsim.fields.solvers import ConvergenceError
from cellsim.fields.species import MetalPool, SpeciesField, SpeciesOptions
from cellsim.lumped import chemistry, electrical, thermal
from cellsim.lumped.model import _IMP, Derived, LumpedModel, mole_fractions
from cellsim.thermo import feed_heating

START_ITERATIONS = 12  # current-heat iterations of the steady start, at most
START_TOLERANCE = 1e-6  # relative change of the terminal voltage that ends them
FROZEN_ACROSS = 0.01  # liquid fraction below which a salt cell counts as frozen


# The heat field takes the salt's liquidus and heat capacity (cellsim.electrolyte) when the
# grid is rebuilt: at a remesh, or when they have moved by this much since the last build.
SALT_REBUILD_K = 2.0  # K
SALT_REBUILD_CP = 0.02  # relative


class ElectrolyteFrozen(RuntimeError):
    """A horizontal section of the electrolyte froze in every cell (no liquid path)."""


KINETICS_REBUILD_K = 2.0  # rebuild the electrode kinetics when the salt mean drifts by this [K]
# Reuse the current solution while no electrolyte cell's conductivity has moved by more than
# this fraction since it was solved (same grid, same current): the voltage terms then lag by
# at most this fraction of the electrolyte ohmic drop. Measured in docs/campaign.md; 0 solves
# every step.
CURRENT_REUSE_SIGMA = 1e-4


class AxisymmetricModel(LumpedModel):
    """Lumped inventories with the current and heat fields of the 2D r-z pot (SI)."""

    level = "axisymmetric"

    def __init__(self, config):
        self.resolution = config.numerics.resolution
        self.remap_energy = 0.0  # J, cumulative energy of the grid remaps
        self.remeshes = 0
        self.pot = None
        super().__init__(config)  # calls update_state, which builds the fields

    # ---------------------------------------------------------------- field set-up
    def _build(self, alloy_depth: float, cathode_depth: float) -> None:
        self.pot = build_layers(self.config, self.resolution, alloy_depth, cathode_depth, **self._pot_kwargs())
        self.grid_depths = (alloy_depth, cathode_depth)
        self._grid_config = self.config
        el = self.config.electrolyte  # the salt layer and heat properties this grid was built with
        self.grid_salt = (self.config.geometry.acd, el.liquidus, el.specific_heat)
        self.heat_solver = self.pot.heat_solver()
        self.heater = self.pot.heater(self.config.operation.temperature)
        g = self.pot.grid
        self._salt = g.region_mask("electrolyte")
        self._alloy = g.region_mask("anode_alloy")
        self._vol = g.volumes()
        self._sub_salt = self._salt[self.pot.current_slice]
        self._salt_weight = np.where(self._salt, self._vol, 0.0).reshape(-1) / self._vol[self._salt].sum()
        self._last_solver = getattr(self, "_current_solver", None)  # warm start across a remesh
        self._current_solver, self._kin_T, self._solution_key = None, None, None
        self._sigma_ref = None  # conductivity of the last current solve on this grid
        self.species = SpeciesField(self.pot.current_grid(), SpeciesOptions.from_config(self.config))

    def _pot_kwargs(self) -> dict:
        """Keyword arguments of cellsim.fields.pot.build_pot for this level (3D: geometry)."""
        return {}

    def _start(self, alloy_depth: float, cathode_depth: float) -> None:
        """Fields of a pot in operation: steady heat at the set point with its own Joule heat."""
        self._build(alloy_depth, cathode_depth)
        self.concentration = self.species.uniform(self.state.salt / chemistry.MOLAR_MASS)
        T = self.config.operation.temperature
        self.heat_state = self.heat_solver.state(T)
        self._version = 0
        previous, change = math.inf, math.inf
        for _ in range(START_ITERATIONS):
            solution = self._current(self.heat_state)
            sources = self._sources(solution, self._feed_sink(T))
            self.heat_state, self.balance = self.heat_solver.steady(sources, self.heater, self.heat_state)
            self._version += 1
            change = abs(solution.terminal_voltage - previous)
            if change <= START_TOLERANCE * abs(solution.terminal_voltage):
                break
            previous = solution.terminal_voltage
        else:
            raise ConvergenceError(
                f"the steady start of the {self.level} pot did not settle in {START_ITERATIONS} "
                f"current-heat iterations (terminal voltage {previous:.6g} V, last change "
                f"{change:.3g} V); near the electrolyte liquidus the coupled start can cycle "
                "between ledge states (e.g. without melt mixing, eddy_diffusivity = 0)")

    def reset_caches(self) -> None:
        """Drop factorisations and warm starts (checkpoints: the run continues from data only)."""
        self.heat_solver = self.pot.heat_solver()
        self._current_solver, self._kin_T, self._sigma_ref, self._last_solver = None, None, None, None

    def _remesh_if_needed(self, alloy_depth: float, cathode_depth: float) -> None:
        a0, c0 = self.grid_depths
        if (max(abs(alloy_depth - a0), abs(cathode_depth - c0)) <= self.config.numerics.remesh_threshold
                and not self._salt_moved()):
            return
        old = self.pot.grid
        hs = self.heat_state
        old_species, c_old = self.species, self.concentration
        self._build(alloy_depth, cathode_depth)
        self.concentration = _remap_concentration(old_species, self.species, c_old)
        # the salt inventory stays the field's (the remap conserves it to round-off only)
        self.state.salt = self.species.inventory(self.concentration) * chemistry.MOLAR_MASS
        H, energy = remap_enthalpy(old, self.pot.grid, hs.H)
        new = self.heat_solver._state_from_h(H, hs.time, hs.heater_power)
        self.heat_state = new
        self.remap_energy += energy
        self.remeshes += 1
        self._version += 1

    def _salt_moved(self) -> bool:
        """The salt layer (its volume, cellsim.electrolyte) or its heat properties moved enough
        since the grid was built to rebuild it: depth by numerics.remesh_threshold, liquidus by
        SALT_REBUILD_K, heat capacity by SALT_REBUILD_CP (relative)."""
        acd, liq, cp = self.grid_salt
        el = self.config.electrolyte
        return (abs(self.config.geometry.acd - acd) > self.config.numerics.remesh_threshold
                or abs(el.liquidus - liq) > SALT_REBUILD_K
                or abs(el.specific_heat - cp) > SALT_REBUILD_CP * cp)

    # --------------------------------------------------------------------- current
    def _sigma(self, hs: HeatState) -> np.ndarray:
        """Conductivity [S/m] of the current sub-grid: kappa(T) x liquid fraction in the salt."""
        pot, el = self.pot, self.config.electrolyte
        sub = pot.current_slice
        sigma = pot.sigma[sub].copy()
        T, f = hs.T[sub][self._sub_salt], hs.frac[sub][self._sub_salt]
        kappa = el.conductivity * np.exp(-el.conductivity_activation_energy / 8.314462618
                                         * (1.0 / T - 1.0 / el.conductivity_reference_temperature))
        sigma[self._sub_salt] = kappa * np.maximum(f, 1e-6)
        return sigma

    def _current(self, hs: HeatState, sigma: np.ndarray | None = None):
        T_salt = self._salt_mean(hs)
        if self._current_solver is None or abs(T_salt - self._kin_T) > KINETICS_REBUILD_K:
            kin = self.config.kinetics
            model = "linear" if kin.model == "linear" else "butler_volmer"

            def k(i0):
                return Kinetics(i0, T_salt, kin.alpha_anodic, kin.alpha_cathodic, 3, model)

            electrodes = [Electrode("anode", "anode_alloy", "electrolyte", k(kin.anode_exchange_current_density)),
                          Electrode("cathode", "cathode_metal", "electrolyte",
                                    k(kin.cathode_exchange_current_density))]
            solver = CurrentSolver(self.pot.current_grid(), electrodes, Terminal("z-"), Terminal("z+", "rods"))
            solver.warm_start(self._current_solver if self._current_solver is not None else self._last_solver)
            self._current_solver = solver
            self._kin_T = T_salt
        self._check_not_frozen_across(hs)
        return self._current_solver.solve(self._sigma(hs) if sigma is None else sigma, self.current)

    def _check_not_frozen_across(self, hs: HeatState) -> None:
        """ElectrolyteFrozen if a horizontal section of the electrolyte is frozen in every cell
        (liquid fraction below FROZEN_ACROSS): no liquid path joins the electrodes, the imposed
        current would have to pass the solid salt and its Joule heat would run away."""
        sub = self.pot.current_slice
        salt = self._sub_salt
        f = np.where(salt, hs.frac[sub], -1.0)
        layers = np.nonzero(salt.any(axis=(0, 1)))[0]
        best = f[:, :, layers].max(axis=(0, 1))
        if np.all(best >= FROZEN_ACROSS):
            return
        k = int(layers[np.argmin(best)])
        z = float(self.pot.current_grid().centres(2)[k])
        el = self.config.electrolyte
        raise ElectrolyteFrozen(
            f"the electrolyte is frozen across at z = {z:.4f} m (liquid fraction below "
            f"{FROZEN_ACROSS:g} in every cell of that section) at t = {self.state.time / 86400:.3f} d: "
            f"no liquid path joins the electrodes and the pot cannot carry {self.current:.4g} A. "
            f"Check the set point ({self.config.operation.temperature - 273.15:.1f} degC) against the "
            f"electrolyte liquidus ({el.liquidus - 273.15:.1f} degC), the side insulation, and the "
            f"melt mixing (electrolyte.eddy_diffusivity = {el.eddy_diffusivity:g} m2/s)")

    def _solve_current_if_moved(self) -> None:
        """Solve the current unless the last solution (same grid, same current, salt mean
        within KINETICS_REBUILD_K of its kinetics) was computed with conductivities within
        CURRENT_REUSE_SIGMA (relative, every electrolyte cell)."""
        sigma = self._sigma(self.heat_state)
        ref = self._sigma_ref
        if (ref is not None and ref[1] == self.current and CURRENT_REUSE_SIGMA > 0.0
                and abs(self._salt_mean(self.heat_state) - self._kin_T) <= KINETICS_REBUILD_K):
            m = self._sub_salt
            if np.max(np.abs(sigma[m] - ref[0][m]) / ref[0][m]) <= CURRENT_REUSE_SIGMA:
                return
        self.solution = self._current(self.heat_state, sigma)
        self._sigma_ref = (sigma, self.current)

    def _salt_mean(self, hs: HeatState) -> float:
        return float(np.dot(hs.T.reshape(-1), self._salt_weight))

    def _outside_resistance(self) -> float:
        """Rods beyond the lid and the contacts [ohm] (outside the field)."""
        col = self.config.collectors
        outside = outside_rod_length(self.config)
        rod_area = col.rod_count * math.pi * col.rod_diameter**2 / 4.0
        return col.rod_resistivity * outside / rod_area + col.contact_resistance

    def _sources(self, solution, feed_sink: float, reversible: float = 0.0) -> dict:
        """Heat sources [W/m3] of the heat field from a current solution."""
        vol = self._vol
        interface = sum(abs(p) for p in solution.interface_power.values()) + reversible * self.current
        salt = np.where(self._salt, interface / vol[self._salt].sum(), 0.0)
        feed = np.where(self._alloy, -feed_sink / vol[self._alloy].sum(), 0.0)
        return {"joule": self.pot.embed(solution.joule), "electrodes": salt, "feed": feed}

    def _feed_sink(self, T: float) -> float:
        return self.state.feed_rate * feed_heating(self.config.scrap.feed_temperature, T)

    # --------------------------------------------------------------- LumpedModel API
    def update_state(self) -> Derived:
        self.refresh_electrolyte()
        cfg, s = self.config, self.state
        rho_alloy, alloy_depth, cathode_depth = self.layer_depths()
        if self.pot is None:
            self._start(alloy_depth, cathode_depth)
        self._remesh_if_needed(alloy_depth, cathode_depth)
        key = (self._version, self.current)
        if key != self._solution_key:  # idempotent: the same fields give the same solution
            self._solve_current_if_moved()
            self._solution_key = key
        sol, hs, bal = self.solution, self.heat_state, self.balance
        a_al, a_al_c = mole_fractions(s.alloy)[0], mole_fractions(s.cathode)[0]
        T = self._salt_mean(hs)
        b = sol.breakdown
        voltage = {
            "electrolyte_ohmic": b["electrolyte_ohmic"], "anode_alloy_ohmic": b["anode_alloy_ohmic"],
            "cathode_metal_ohmic": b["cathode_metal_ohmic"],
            "collectors_ohmic": b["collectors_ohmic"] + self.current * self._outside_resistance(),
            "anode_overpotential": abs(b["anode_overpotential"]),
            "cathode_overpotential": abs(b["cathode_overpotential"]),
            "reversible": electrical.reversible_voltage(T, a_al_c, a_al),
            "external": cfg.operation.external_voltage_drop,
        }
        joule = self.current * (sol.terminal_voltage + voltage["reversible"])
        losses = self.pot.face_losses(bal)
        loss = thermal.HeatLoss(losses["side"], losses["bottom"], losses["lid"], losses["collectors"],
                                self.pot.ledge_thickness(hs.frac), self.pot.shell_temperature(hs.T, bal))
        self.derived = Derived(alloy_depth, cathode_depth, rho_alloy, a_al, a_al_c, T, voltage, loss,
                               joule, self._feed_sink(T), bal.heater, -bal.heater_demand)
        return self.derived

    def exchange(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """The species field over dt (start-of-step temperature field and current solution):
        updates the concentration field and the alloy, salt and cathode inventories; returns
        the mean fluxes alloy -> salt and salt -> cathode [mol/s] per impurity."""
        cfg, s, d = self.config, self.state, self.derived
        gamma = np.array([cfg.anode_alloy.activity_coefficients.get(k, 1.0) for k in IMPURITIES])
        alloy = MetalPool.from_masses(s.alloy, s.alloy.sum() / d.alloy_density, gamma)
        cathode = MetalPool.from_masses(s.cathode, s.cathode.sum() / ELEMENTS["Al"].liquid_density)
        res = self.species.step(dt, self.concentration, alloy, cathode, self._T_start,
                                current=self.solution)
        mol_imp = chemistry.MOLAR_MASS
        self.concentration = res.c
        s.alloy[_IMP] -= dt * res.flux_alloy_to_salt * mol_imp
        s.cathode[_IMP] += dt * res.flux_salt_to_cathode * mol_imp
        s.salt = self.species.inventory(res.c) * mol_imp
        return res.flux_alloy_to_salt, res.flux_salt_to_cathode

    def step(self, dt: float) -> None:
        d = self.derived
        self._T_start = self.heat_state.T[self.pot.current_slice]  # the heat step makes a new array
        sources = self._sources(self.solution, d.feed_sink, d.voltage["reversible"])
        self.heat_state, self.balance = self.heat_solver.step(self.heat_state, dt, sources, self.heater)
        self.heat_stored = self.balance.stored
        self._version += 1
        # the ledger books the heater power the heat step applied over dt
        self.derived = dataclasses.replace(d, heater_power=self.balance.heater)
        super().step(dt)

    def _salt_changed(self) -> None:
        """The salt inventories changed outside the species field (renewal, precipitation):
        scale each impurity's concentration field to the new inventory."""
        old = self.species.inventory(self.concentration) * chemistry.MOLAR_MASS
        scale = np.divide(self.state.salt, old, out=np.zeros_like(old), where=old > 0.0)
        self.concentration = self.concentration * scale[:, None, None, None]
        self.state.salt = self.species.inventory(self.concentration) * chemistry.MOLAR_MASS

    def snapshot(self) -> dict:
        """Fields on the full pot grid (SI): potential [V], current density (r, z) [A/m2],
        temperature [K], liquid fraction, dissolved impurity concentration per IMPURITIES
        element [mol/m3], material ids, and the grid faces [m]."""
        g, sol, hs = self.pot.grid, self.solution, self.heat_state
        j = sol.current_density
        conc = np.stack([self.pot.embed(c)[:, 0, :] for c in self.concentration])
        return {"concentration": conc, "time": self.state.time, "r_faces": g.faces[0], "z_faces": g.faces[2],
                "material": g.material[:, 0, :], "potential": self.pot.embed(sol.phi)[:, 0, :],
                "current_density": np.stack([self.pot.embed(j[0])[:, 0, :], self.pot.embed(j[2])[:, 0, :]]),
                "temperature": hs.T[:, 0, :], "liquid_fraction": hs.frac[:, 0, :]}

    def heat_content(self) -> float:
        """Enthalpy of the heat field [J] (sum of H V)."""
        return float(np.sum(self.heat_state.H * self._vol))

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self) -> dict:
        data = super().checkpoint()
        hs = self.heat_state
        data.update(fields={
            "grid_depths": self.grid_depths, "T": hs.T.copy(), "H": hs.H.copy(), "frac": hs.frac.copy(),
            "time": hs.time, "heater_power": hs.heater_power, "balance": self.balance,
            "solution": self.solution, "remap_energy": self.remap_energy, "remeshes": self.remeshes,
            "concentration": self.concentration.copy(), "grid_config": self._grid_config})
        return data

    def restore(self, data: dict) -> None:
        super().restore(data)
        f = data["fields"]
        config, self.config = self.config, f.get("grid_config", self.config)
        self._build(*f["grid_depths"])  # the grid as it was, with the salt it was built with
        self.config = config
        self._last_solver = None  # as after reset_caches: no warm start from the set-up solve
        self.heat_state = HeatState(f["T"].copy(), f["H"].copy(), f["frac"].copy(), f["time"], f["heater_power"])
        self.balance, self.solution = f["balance"], f["solution"]
        self.concentration = f["concentration"].copy()
        self.remap_energy, self.remeshes = f["remap_energy"], f["remeshes"]
        self._version = 0
        self._solution_key = (self._version, self.current)


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
