"""The electrolyte provider: the salt's composition from the cell's inventories, its
properties, and the operations on it (precipitation above a solubility, partial renewal).

The salt's state is held by the cell as component inventories that the other effects move:

* ``state.electrolyte_base``: the base salt (the fresh electrolyte without its AlX3) [kg], in the fresh
  proportions of ``electrolyte.composition_wt_pct``;
* ``state.alf3``: AlX3 [kg], consumed by the anodic exchange and made up by additions;
* ``state.electrolyte``: the dissolved impurity elements [kg per IMPURITIES], each present as its
  halide MXn with the halogen of the AlX3 (MgF2 in a fluoride-carrying melt). The exchange
  ``M + (n/3) AlX3 -> MXn + (n/3) Al`` takes the n halogen atoms from the AlX3 that the
  inventory already lost, so the component masses close the halogen balance to round-off.
  Impurities that enter the electrolyte from outside the metal (make-up salts, lining:
  ``state.electrolyte_sourced``) bring their halide with them;
* ``state.cation_salt_deficit``: kg of each co-deposited cation's halide (purity.codeposition:
  ``3 NaF + Al -> 3 Na + AlF3``) missing from the base salt's fresh proportions; it is taken
  from that component (NaF), and from the base pro rata when the base names no such component.

:meth:`SaltProvider.element_totals` counts every flow of the salt's own elements (halogens and
base cations) in and out of the pot, so the campaign checks their conservation.

:meth:`SaltProvider.masses` turns these into masses over :attr:`SaltProvider.names` (all
non-negative, so every mole fraction lies in [0, 1] by construction);
:meth:`SaltProvider.evaluate` gives the properties (:class:`SaltProperties`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..elements import ELEMENTS, IMPURITIES
from ..kernels import salt as salt_kernels
from .components import ALX3, COMPONENTS, component, element_matrix, halide
from .properties import FreshElectrolyte, RangeLog

_MG = IMPURITIES.index("Mg")


@dataclass(frozen=True, slots=True)
class SaltProperties:
    """Properties of the salt at one moment (SI)."""

    mass: float  # kg
    conductivity: float  # S/m at electrolyte.conductivity_reference_temperature
    density: float  # kg/m3 at the operating set point
    liquidus: float  # K
    specific_heat: float  # J/(kg K)
    alx3_activity: float  # 1
    mean_molar_mass: float  # kg/mol
    volume: float  # m3
    mgx2_fraction: float  # mass fraction of MgX2
    alx3_fraction: float  # mass fraction of AlX3


class SaltProvider:
    """Composition and properties of the electrolyte of ``config`` (see module docstring)."""

    def __init__(self, config, mesh=None):
        el = config.electrolyte
        self.config = config
        comp = dict(el.composition)
        if comp:
            halogen = "F" if "AlF3" in comp else "Cl"
        else:  # one pseudo-component for the configured electrolyte without its AlX3
            halogen = "Cl" if el.family == "chloride" and el.alf3_mass_fraction <= 0 else "F"
            comp = {"base": 1.0 - el.alf3_mass_fraction, ALX3[halogen]: el.alf3_mass_fraction}
        self.alx3 = ALX3[halogen]
        self.halogen = halogen
        base = {k: v for k, v in comp.items() if k != self.alx3}
        total = sum(base.values())
        self.base_names = tuple(base)
        self.base_w = np.array([base[k] / total for k in self.base_names])
        self.halides = tuple(halide(e, halogen) for e in IMPURITIES)
        names = list(self.base_names) + [self.alx3]
        names += [h for h in self.halides if h not in names]
        self.names = tuple(names)
        ix = {n: i for i, n in enumerate(self.names)}
        self._base_ix = np.array([ix[n] for n in self.base_names], dtype=int)
        self._halide_ix = np.array([ix[h] for h in self.halides], dtype=int)
        assert len(set(self._halide_ix.tolist())) == len(self._halide_ix)  # one column per element
        self._alx3_ix = ix[self.alx3]
        # kg of halide per kg of the element dissolved
        self._halide_per_element = np.array([component(h).molar_mass / ELEMENTS[e].molar_mass
                                             for e, h in zip(IMPURITIES, self.halides)])
        T_op = config.operation.temperature
        w0 = np.zeros(len(self.names))
        for k, v in comp.items():
            w0[ix[k]] += v
        M = np.array([COMPONENTS[n].molar_mass if n in COMPONENTS else np.nan for n in self.names])
        V = np.array([COMPONENTS[n].molar_volume(T_op) if n in COMPONENTS else np.nan
                      for n in self.names])
        cp = np.array([COMPONENTS[n].cp if n in COMPONENTS else el.specific_heat for n in self.names])
        if "base" in ix:  # the pseudo-component: molar mass from the mean molar mass, volume
            # from the configured density (so the fresh salt is exactly the configured one)
            i, a = ix["base"], ix[self.alx3]
            n_base = 1.0 / el.mean_molar_mass - w0[a] / M[a]
            M[i] = w0[i] / n_base
            V[i] = (1.0 / el.density - w0[a] / M[a] * V[a]) / n_base
        self.fresh = FreshElectrolyte(self.names, w0, M, V, cp, self.alx3, el.conductivity, el.density,
                         el.liquidus, el.specific_heat, el.alf3_activity)
        self.log = RangeLog()
        self._masses_of = (None, None)  # (inventories, masses) of the last ``masses`` call
        self._activity_of = (None, None)  # (inventories, AlX3 activity) of the last one asked
        # co-deposited cations (purity.codeposition): their halide's column, or -1 (pro rata)
        p = config.purity
        cations = tuple(p.cation_salt_mole_fraction) if p.codeposition else ()
        cation_halogen = "F" if el.family == "fluoride" else "Cl"  # as cellsim.purity.pathways
        self.cation_salts = tuple(halide(c, cation_halogen) for c in cations)
        self._deficit_ix = np.array([ix.get(h, -1) for h in self.cation_salts], dtype=int)
        self._deficit_pro_rata = bool(np.any(self._deficit_ix < 0))
        # the salt's own elements: halogens and the cations of its components (not Al, not the
        # impurity metals: cellsim.cell.Cell.totals counts those)
        known = [n for n in self.names if n in COMPONENTS]
        elements = []
        for n in known + list(self.cation_salts):
            c = COMPONENTS[n]
            for sym in (c.halogen, c.cation):
                if sym not in elements and sym != "Al" and sym not in IMPURITIES:
                    elements.append(sym)
        self.balance_elements = tuple(elements) if len(known) == len(self.names) else ()
        if self.balance_elements:
            self._E = element_matrix(self.names, self.balance_elements)
            self._E_cation = np.array([[1.0 if sym == c else 0.0
                                        for c in cations] for sym in self.balance_elements])

    # ------------------------------------------------------------------ composition
    def masses(self, state) -> np.ndarray:
        """Component masses [kg] over :attr:`names` from the cell's salt inventories (a new
        array; a step asks several times for the same inventories: computed once for them)."""
        return self._masses_now(state).copy()

    def _masses_now(self, state) -> np.ndarray:
        """:meth:`masses` itself, not a copy (for this provider's readers, which do not write
        to it)."""
        imp, deficit = np.asarray(state.electrolyte), np.asarray(state.cation_salt_deficit)
        key = (state.electrolyte_base, state.alf3, imp.shape, imp.tobytes(), deficit.shape, deficit.tobytes())
        if key != self._masses_of[0]:  # _masses in one kernel call (kernels/salt, bit for bit)
            self._masses_of = (key, salt_kernels.component_masses(
                len(self.names), state.electrolyte_base, state.alf3,
                np.ascontiguousarray(imp, dtype=float), np.ascontiguousarray(deficit, dtype=float),
                float(deficit.sum()) if deficit.size else 0.0, self._base_ix, self.base_w,
                self._deficit_ix, self._deficit_pro_rata, self._alx3_ix, self._halide_ix,
                self._halide_per_element))
        return self._masses_of[1]

    def alx3_activity(self, state) -> float:
        """AlX3 activity of the salt of ``state`` (``FreshElectrolyte.alx3_activity``; a step
        asks up to three times for the same inventories: computed once for them)."""
        m = self._masses_now(state)
        key = self._masses_of[0]
        if self._activity_of[0] is not key:
            self._activity_of = (key, self.fresh.alx3_activity(m, self.log))
        return self._activity_of[1]

    def _masses(self, base: float, alx3: float, impurities: np.ndarray, deficit: np.ndarray) -> np.ndarray:
        m = np.zeros(len(self.names))
        base = max(base, 0.0)
        if deficit.size and not self._deficit_pro_rata:  # the base less its co-deposited halides
            m[self._base_ix] += (base + deficit.sum()) * self.base_w
            m[self._deficit_ix] -= deficit
        else:
            m[self._base_ix] += base * self.base_w
        m[self._alx3_ix] += max(alx3, 0.0)
        m[self._halide_ix] += np.maximum(impurities, 0.0) * self._halide_per_element  # distinct columns
        return m

    def element_totals(self, state) -> np.ndarray:
        """kg of each of :attr:`balance_elements` in the pot's salt, its precipitate, the salt
        removed by renewals and the cations co-deposited into the metal, less the fresh salt
        (renewals), the AlX3 and base salt added and the halides the sources brought in:
        constant over a campaign (the salt's conservation law; empty when the base salt is a
        pseudo-component without a formula)."""
        if not self.balance_elements:
            return np.zeros(0)
        s, zero = state, np.zeros(len(IMPURITIES))
        w_a = self.fresh.w0[self._alx3_ix]
        fresh = s.electrolyte_fresh_base + s.electrolyte_fresh_alf3
        ledger = (self.masses(s)
                  + self._masses(s.electrolyte_removed_base, s.electrolyte_removed_alf3,
                                 s.electrolyte_removed, s.cation_salt_deficit_removed)
                  + self._masses(0.0, 0.0, s.electrolyte_precipitate, s.cation_salt_deficit[:0])
                  - self._masses(fresh * (1.0 - w_a), fresh * w_a, zero, s.cation_salt_deficit[:0])
                  - self._masses(s.base_salt_added, s.alf3_added, s.electrolyte_sourced,
                                 s.cation_salt_deficit[:0]))
        out = self._E @ ledger
        if s.cations_cathode.size:
            out = out + self._E_cation @ (s.cations_cathode + s.cations_tapped)
        return out

    def mole_fractions(self, state) -> dict[str, float]:
        """Mole fraction of each component (names as in components.py; 'base' the pseudo-component)."""
        return dict(zip(self.names, self.fresh.mole_fractions(self._masses_now(state)).tolist()))

    def mass_fractions(self, state) -> dict[str, float]:
        m = self._masses_now(state)
        return dict(zip(self.names, (m / m.sum()).tolist()))

    def mgx2_fraction(self, state) -> float:
        m = self._masses_now(state)
        return float(m[self._halide_ix[_MG]] / m.sum())

    # ------------------------------------------------------------------- properties
    def evaluate(self, state) -> SaltProperties:
        """Properties of the salt of ``state`` (raises properties.OutOfRange far outside a
        correlation; the first use beyond its range is recorded in :attr:`log`)."""
        self.log.time = state.time
        m, fresh, log = self._masses_now(state), self.fresh, self.log
        rho = fresh.density(m)
        total = m.sum()
        x_mass = float(m[self._halide_ix[_MG]] / total)
        moles = m / fresh.molar_mass
        n = moles.sum()
        x, w = moles / n, m / total  # fresh.mole_fractions(m), fresh.mass_fractions(m)
        kappa = fresh.conductivity(m, log, x)  # the range checks in this order, as before
        liquidus = fresh.liquidus(m, log, w)
        cp = fresh.specific_heat(m, w)
        key = self._masses_of[0]  # the AlX3 activity of these inventories (alx3_activity)
        if self._activity_of[0] is not key:
            self._activity_of = (key, fresh.alx3_activity(m, log, x))
        total, n = float(total), float(n)
        return SaltProperties(total, kappa, rho, liquidus, cp, self._activity_of[1], total / n,
                              total / rho, x_mass, float(m[self._alx3_ix] / total))

    def effective_config(self, props: SaltProperties, layers: bool):
        """``self.config`` with the electrolyte's properties of ``props``; with ``layers``, also
        the salt layer of its volume: geometry.acd = volume / area, and the freeboard and the
        rods' length above the metal shortened by the same amount (the lid stays put)."""
        cfg = self.config
        el = dataclasses.replace(cfg.electrolyte, conductivity=props.conductivity,
                                 density=props.density, liquidus=props.liquidus,
                                 specific_heat=props.specific_heat,
                                 mean_molar_mass=props.mean_molar_mass)
        out = dataclasses.replace(cfg, electrolyte=el)
        if layers:
            geo, col = cfg.geometry, cfg.collectors
            acd = props.volume / geo.area
            d = acd - geo.acd
            out = dataclasses.replace(
                out, geometry=dataclasses.replace(geo, acd=acd, freeboard=geo.freeboard - d),
                collectors=dataclasses.replace(col, rod_length=col.rod_length - d))
        return out

    def layer_order_broken(self, props: SaltProperties, rho_alloy: float, rho_cathode: float) -> str | None:
        """Reason the salt no longer stays between the two metals (with the configured margin)."""
        margin = self.config.electrolyte.layer_density_margin
        if props.density - rho_cathode >= margin and rho_alloy - props.density >= margin:
            return None
        why = (f"(salt composition: MgX2 {props.mgx2_fraction * 100:.2f} wt%, "
               f"{self.alx3} {props.alx3_fraction * 100:.2f} wt%)")
        if props.density - rho_cathode < margin:
            return (f"layer order: the electrolyte ({props.density / 1e3:.3f} g/cm3) is within "
                    f"{margin / 1e3:g} g/cm3 of the cathode metal above it ({rho_cathode / 1e3:.3f} "
                    f"g/cm3) {why}")
        if rho_alloy - props.density < margin:
            return (f"layer order: the electrolyte ({props.density / 1e3:.3f} g/cm3) is within "
                    f"{margin / 1e3:g} g/cm3 of the anode alloy below it ({rho_alloy / 1e3:.3f} "
                    f"g/cm3) {why}")
        return None

    # ------------------------------------------------------------------- operations
    def precipitate(self, state) -> float:
        """Move MgX2 above electrolyte.mgx2_solubility out of the electrolyte as a booked solid
        (``state.electrolyte_precipitate``, kg of Mg); return the kg of Mg precipitated."""
        w_sol = self.config.electrolyte.mgx2_solubility
        if w_sol is None:
            return 0.0
        m = self._masses_now(state)
        k = self._halide_per_element[_MG]
        x = m[self._halide_ix[_MG]]
        excess = (x - w_sol * m.sum()) / (1.0 - w_sol)  # (x - e) / (M - e) = w_sol
        if excess <= 0.0:
            return 0.0
        mg = excess / k
        state.electrolyte[_MG] -= mg
        state.electrolyte_precipitate[_MG] += mg
        return mg

    def renew(self, state, mass: float, refill: float | None = None) -> dict:
        """Remove ``mass`` kg of the salt with its composition and add ``refill`` kg of fresh
        electrolyte (the configured composition; None: the same mass); book both in ``state``
        and return what moved: {'removed', 'removed_mgx2', 'fresh' (kg), 'fraction'}."""
        m = self.masses(state)
        total = float(m.sum())
        if not 0.0 < mass < total:
            raise ValueError(f"salt renewal of {mass:.4g} kg: expected between 0 and the salt in "
                             f"the pot ({total:.4g} kg) (schedule.salt_renewal_mass or "
                             "salt_renewal_fraction)")
        fresh = mass if refill is None else refill
        f = mass / total
        imp, base, alx3 = state.electrolyte * f, state.electrolyte_base * f, state.alf3 * f
        deficit = state.cation_salt_deficit * f
        state.cation_salt_deficit = state.cation_salt_deficit - deficit
        state.cation_salt_deficit_removed = state.cation_salt_deficit_removed + deficit
        state.electrolyte = state.electrolyte - imp
        state.electrolyte_base -= base
        state.alf3 -= alx3
        state.electrolyte_removed = state.electrolyte_removed + imp
        state.electrolyte_removed_base += base
        state.electrolyte_removed_alf3 += alx3
        w_a = self.fresh.w0[self._alx3_ix]
        state.electrolyte_base += fresh * (1.0 - w_a)
        state.alf3 += fresh * w_a
        state.electrolyte_fresh_base += fresh * (1.0 - w_a)
        state.electrolyte_fresh_alf3 += fresh * w_a
        return {"removed": mass, "removed_mgx2": float(m[self._halide_ix[_MG]] * f),
                "fresh": fresh, "fraction": f}
