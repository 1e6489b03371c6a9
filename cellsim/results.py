"""The result of a campaign: time series, taps, energy ledger and the summary a user reads.

Everything is SI here; ``summary_rows`` converts to the reporting units (kWh/t, wt%, degC)
in one place, with the unit next to each number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .config.schema import Config, ProductSpec
from .elements import ALL_ELEMENTS, CATIONS, ELEMENTS, IMPURITIES
from .cell import LEDGER_TERMS
from .purity.efficiency import LOSSES
from .purity import salt_entrainment
from .purity.ledger import TAG_LABELS, TAGS
from .lumped.electrical import VOLTAGE_TERMS
from .units import FARADAY, ZERO_CELSIUS, kWh

M_AL = ELEMENTS["Al"].molar_mass


def check_spec(w: np.ndarray, spec: ProductSpec) -> list[str]:
    """Violations of a product specification by mass fractions ``w`` over ALL_ELEMENTS."""
    out = []
    if w[0] < spec.min_al_fraction:
        out.append(f"Al {w[0] * 100:.3f} < {spec.min_al_fraction * 100:.2f} wt%")
    for symbol, limit in spec.max_fraction.items():
        value = w[ALL_ELEMENTS.index(symbol)] if symbol in ALL_ELEMENTS else 0.0
        if value > limit:
            out.append(f"{symbol} {value * 100:.4f} > {limit * 100:.3f} wt%")
    return out


@dataclass(frozen=True)
class Tap:
    time: float  # s
    mass: float  # kg
    composition: np.ndarray  # mass fractions over ALL_ELEMENTS
    violations: list = field(default_factory=list)
    pathways: np.ndarray | None = None  # (len(TAGS), len(IMPURITIES)) kg per kg tapped, by origin
    cations: np.ndarray | None = None  # kg of each co-deposited cation per kg tapped

    @property
    def purity(self) -> float:
        return float(self.composition[0])


@dataclass(frozen=True)
class Bleed:
    """One anode alloy bleed: what left (with its composition) and the fresh alloy put back."""

    time: float  # s
    mass: float  # kg of alloy removed
    composition: np.ndarray  # mass fractions over ALL_ELEMENTS of the bled alloy
    fresh_mass: float  # kg of fresh alloy added
    fresh_composition: np.ndarray  # mass fractions over ALL_ELEMENTS


@dataclass(frozen=True)
class Addition:
    """One scheduled electrolyte addition [kg]."""

    time: float  # s
    alf3: float  # kg of AlX3
    base_salt: float  # kg of base salt


@dataclass(frozen=True)
class Renewal:
    """One partial salt renewal [kg]: salt removed, the MgX2 it carried out, and the fresh
    salt added (schedule.salt_renewal_refill)."""

    time: float  # s
    mass: float  # kg
    mgx2: float  # kg
    fresh: float  # kg


@dataclass
class CampaignResult:
    config: Config
    series: dict  # name -> array
    taps: list
    stop_reason: str
    summary: dict  # name -> SI value
    ledger: dict  # term -> J
    wall_time: float
    mass_balance: np.ndarray  # kg per element, final minus initial of the conserved totals
    bleeds: list = field(default_factory=list)
    additions: list = field(default_factory=list)
    renewals: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # out-of-range use of a salt correlation
    window: str = ""  # why the run left the operating window (cellsim.window); "" inside
    # kg per element of the salt (halogens, base cations): final minus initial of the salt's
    # conserved totals (cellsim.electrolyte.provider.SaltProvider.element_totals)
    salt_balance: dict = field(default_factory=dict)
    # the threads of the run (cellsim.physics.Physics.thread_report): the heat-species overlap
    # policy, the cores usable, the steps and how many ran heat and species at once
    threads: dict = field(default_factory=dict)

    @property
    def outside_window(self) -> bool:
        return bool(self.window)

    @classmethod
    def from_run(cls, config: Config, model, series: dict, taps: list, stop_reason: str,
                 cathode_al_0: float, wall_time: float, bleeds: list = (),
                 additions: list = (), renewals: list = (),
                 window: str | None = None) -> "CampaignResult":
        s = model.state
        al_produced = s.tapped[0] + s.cathode[0] - cathode_al_0
        ledger = dict(s.energy)
        total_energy = sum(ledger.values())
        t = s.time
        ce = al_produced / (s.charge * M_AL / (3 * FARADAY))
        product = s.tapped / s.tapped.sum() if s.tapped.sum() > 0 else np.full(len(ALL_ELEMENTS), math.nan)
        summary = {
            "campaign_length": t,
            "al_produced": al_produced,
            "charge": s.charge,
            "metal_tapped": float(s.tapped.sum()),
            "current_efficiency": ce,
            "specific_energy": total_energy / al_produced,
            "specific_energy_scrap": total_energy / s.scrap_fed if s.scrap_fed > 0 else math.nan,
            "mean_cell_voltage": (total_energy - ledger["auxiliary_heat"] - ledger["mg_removal"]) / s.charge,
            "mean_heater_power": ledger["auxiliary_heat"] / t,
            "scrap_fed": s.scrap_fed,
            "dross": s.scrap_fed - s.scrap_metal.sum(),
            "sludge": float(s.sludge.sum()),
            "alf3_consumption": s.alf3_added / al_produced,
            "co2e_per_al": total_energy * config.footprint.emission_factor / al_produced,
            "product_al": float(product[0]),
            "min_tap_al": min((tap.purity for tap in taps), default=math.nan),
            "taps_in_spec": sum(1 for tap in taps if not tap.violations),
            "taps": len(taps),
            **{f"product_{e}": float(product[i]) for i, e in enumerate(ALL_ELEMENTS) if e != "Al"},
            **{f"alloy_{e}": float(s.alloy[i] / s.alloy.sum()) for i, e in enumerate(ALL_ELEMENTS)},
            "alloy_bled": float(s.bled.sum()),
            "bleeds": len(bleeds),
            **{f"bled_{e}": float(s.bled[i] / s.bled.sum()) if s.bled.sum() > 0 else 0.0  # 0: no bleed
               for i, e in enumerate(ALL_ELEMENTS)},
            "fresh_alloy": float(s.refilled.sum()),
            **{f"fresh_{e}": float(s.refilled[i]) for i, e in enumerate(ALL_ELEMENTS)},
            "alf3_added": s.alf3_added,
            "base_salt_added": s.base_salt_added,
            "salt_additions": len(additions),
            "final_alf3_fraction": model.alf3_fraction(),
            "min_tap_margin": min((tap.purity for tap in taps), default=math.nan)
            - config.product.min_al_fraction,
            **_salt_summary(model, al_produced, s.scrap_fed),
        }
        summary.update(_purity_summary(model, al_produced))
        for term, energy in ledger.items():
            summary[f"energy_{term}"] = energy / al_produced
        # Time means of the recorded series (numerics.record_interval); the mean heater power is
        # the booked heater energy over the campaign length above (what kWh/t contains), not
        # the recorded series' mean, which samples a heater that jumps at each tap.
        for name in ("temperature", "joule_heat", "feed_sink", "ledge_thickness",
                     "heat_loss_side", "heat_loss_bottom", "heat_loss_lid", "heat_loss_collectors"):
            summary[f"mean_{name}"] = _time_mean(series["time"], series[name])
        warnings = [f"{key} = {value:.4g} above {hi:g} from t = {t0 / 86400:.3f} d ({source})"
                    for key, (t0, value, hi, source) in model.salt.log.entries.items()]
        if window:  # the final state is outside the window: its figures are not results
            from .window import is_result_key

            summary = {k: (math.nan if is_result_key(k) else v) for k, v in summary.items()}
        return cls(config, series, taps, stop_reason, summary, ledger, wall_time,
                   model.totals() - model.initial, list(bleeds), list(additions),
                   list(renewals), warnings, window or "",
                   dict(zip(model.salt.balance_elements,
                            (model.salt_element_totals() - model.initial_salt_elements).tolist())),
                   model.physics.thread_report())

    def summary_rows(self) -> list[tuple[str, str, str]]:
        """(label, value, unit) rows of the human summary, in reporting units."""
        s, cfg = self.summary, self.config
        to_kwh_t = 1e3 / kWh  # J/kg -> kWh/t
        rows = [
            ("cell", cfg.meta.name, ""),
            ("model level", cfg.numerics.model, ""),
            _current_row(cfg, self.series, s),
            ("ACD", f"{cfg.geometry.acd * 100:g}", "cm"),
            ("electrolyte", cfg.electrolyte.name, ""),
            ("set point", f"{cfg.operation.temperature - ZERO_CELSIUS:g}", "degC"),
            ("scrap", cfg.scrap.name, ""),
            ("campaign length", f"{s['campaign_length'] / 86400:.1f}", "d"),
            ("ended by", self.stop_reason, ""),
            ("cathode Al produced", f"{s['al_produced']:.1f}", "kg"),
            ("current efficiency", f"{s['current_efficiency'] * 100:.2f}", "%"),
            *[_ce_term_row(m, s[f"ce_loss_{m}"])
              for m in LOSSES if f"ce_loss_{m}" in s and s[f"ce_loss_{m}"] != 0.0],
            ("specific energy", f"{s['specific_energy'] * to_kwh_t:.0f}", "kWh/t Al"),
            ("specific energy per scrap", f"{s['specific_energy_scrap'] * to_kwh_t:.0f}", "kWh/t scrap"),
        ]
        for term in LEDGER_TERMS:
            rows.append((f"  {term.replace('_', ' ')}", f"{s[f'energy_{term}'] * to_kwh_t:.0f}", "kWh/t Al"))
        rows.append(("mean cell voltage", f"{s['mean_cell_voltage']:.3f}", "V"))
        for term in LEDGER_TERMS:
            if term in VOLTAGE_TERMS:
                volts = s[f"energy_{term}"] * s["al_produced"] / s["charge"]  # charge-weighted mean
                rows.append((f"  {term.replace('_', ' ')}", f"{volts * 1e3:.1f}", "mV"))
        rows += [
            ("mean melt temperature", f"{s['mean_temperature'] - ZERO_CELSIUS:.1f}", "degC"),
            ("mean heater power", f"{s['mean_heater_power'] / 1e3:.2f}", "kW"),
            ("heat: Joule inside the pot", f"{s['mean_joule_heat'] / 1e3:.2f}", "kW"),
            ("heat: scrap heating and melting", f"{s['mean_feed_sink'] / 1e3:.2f}", "kW"),
        ]
        for face in ("side", "bottom", "lid", "collectors"):
            rows.append((f"heat loss: {face}", f"{s[f'mean_heat_loss_{face}'] / 1e3:.2f}", "kW"))
        ledge = s["mean_ledge_thickness"] * 100
        rows.append(("mean ledge thickness", f"{ledge:.2f}",
                     "cm (frozen electrolyte at the sidewall" + ("; none formed)" if ledge == 0 else ")")))
        spec = cfg.product
        rows.append((f"product (all taps) vs {spec.name}", f"{s['product_al'] * 100:.5f}",
                     f"wt% Al (min {spec.min_al_fraction * 100:.2f})"))
        for e in IMPURITIES:
            limit = spec.max_fraction.get(e)
            lim = f" (max {limit * 1e6:.0f})" if limit is not None else ""
            rows.append((f"  {e}", _ppm(s[f"product_{e}"] * 1e6), f"ppm{lim}"))
        for c in self.cations:
            inc = s.get(f"product_{c}_from_salt_inclusions", 0.0)
            if inc > 0:
                rows.append((f"  {c}", _ppm(s[f"product_{c}"] * 1e6), f"ppm (co-deposited "
                             f"{_ppm((s[f'product_{c}'] - inc) * 1e6)}, salt inclusions {_ppm(inc * 1e6)})"))
            else:
                rows.append((f"  {c} (co-deposited)", _ppm(s[f"product_{c}"] * 1e6), "ppm"))
        if "product_salt_inclusions" in s:
            metals = ", ".join(f"{k[len('product_'):-len('_from_salt_inclusions')]} "
                               f"{_ppm(v * 1e6)}" for k, v in sorted(s.items())
                               if k.endswith("_from_salt_inclusions") and k.count("_") == 4
                               and k[len("product_"):-len("_from_salt_inclusions")] not in IMPURITIES
                               and k[len("product_"):-len("_from_salt_inclusions")] not in self.cations)
            rows.append(("  salt inclusions", _ppm(s["product_salt_inclusions"] * 1e6),
                         f"ppm of salt{' (' + metals + ' ppm)' if metals else ''}"))
        rows += self._pathway_rows()
        rows += [
            ("taps in spec", f"{s['taps_in_spec']} of {s['taps']}", ""),
            ("lowest tap purity", f"{s['min_tap_al'] * 100:.5f}", "wt% Al"),
            ("anode alloy at end", ", ".join(f"{e} {s[f'alloy_{e}'] * 100:.2f}" for e in ALL_ELEMENTS
                                              if s[f'alloy_{e}'] > 1e-4), "wt%"),
            ("scrap fed", f"{s['scrap_fed']:.1f}", "kg"),
            ("sludge removed", f"{s['sludge']:.2f}", "kg"),
        ]
        if s.get("bleeds", 0):
            bled = ", ".join(f"{e} {s[f'bled_{e}'] * 100:.2f}" for e in ALL_ELEMENTS
                             if s[f'bled_{e}'] > 1e-4)
            fresh = ", ".join(f"{e} {s[f'fresh_{e}']:.1f}" for e in ALL_ELEMENTS if s[f'fresh_{e}'] > 0.05)
            rows += [
                (f"anode alloy bled ({s['bleeds']} bleeds)", f"{s['alloy_bled']:.1f}", "kg"),
                ("  composition of the bled alloy", bled, "wt%"),
                ("fresh alloy added", f"{s['fresh_alloy']:.1f}", f"kg ({fresh} kg)"),
            ]
        if s.get("salt_additions", 0):
            rows.append((f"electrolyte additions ({s['salt_additions']})",
                         f"{s['alf3_added']:.1f} kg AlF3, {s['base_salt_added']:.1f} kg base salt", ""))
        rows += self._salt_rows()
        rows += [
            ("AlF3 make-up", f"{s['alf3_consumption'] * 1e3:.1f}", "kg/t Al"),
            (f"carbon footprint ({cfg.footprint.grid} grid)", f"{s['co2e_per_al']:.2f}", "t CO2e/t Al"),
        ]
        from .routes import summary_rows as route_rows

        rows += route_rows(cfg, s["specific_energy"], s["co2e_per_al"])
        return rows

    @property
    def cations(self) -> tuple:
        return tuple(k[len("product_"):] for k in self.summary
                     if k.startswith("product_") and k[len("product_"):] in CATIONS)

    def _pathway_rows(self) -> list[tuple[str, str, str]]:
        """Where each impurity above 0.1 ppm in the product comes from (share by origin)."""
        s, rows = self.summary, []
        for e in IMPURITIES:
            total = s[f"product_{e}"]
            if not total > 1e-7:
                continue
            parts = sorted(((s.get(f"product_{e}_from_{t}", 0.0), t) for t in TAGS), reverse=True)
            text = ", ".join(f"{TAG_LABELS[t]} {v / total * 100:.0f} %" for v, t in parts
                             if v / total >= 0.005)
            rows.append((f"  {e} from", text, ""))
        if rows:
            rows.insert(0, ("product impurities by pathway", "", ""))
        return rows

    def _salt_rows(self) -> list[tuple[str, str, str]]:
        s = self.summary
        from .electrolyte.provider import SaltProvider

        names = SaltProvider(self.config).names  # the file keeps the summary sorted by name
        comp = ", ".join(f"{n} {s[f'electrolyte_w_{n}'] * 100:.2f}" for n in names if s[f"electrolyte_w_{n}"] > 1e-4)
        rows = [
            ("electrolyte at end", comp, "wt%"),
            ("  conductivity, density, liquidus",
             f"{s['final_electrolyte_conductivity'] / 100:.3f} S/cm, {s['final_electrolyte_density'] / 1e3:.3f} g/cm3, "
             f"{s['final_electrolyte_liquidus'] - ZERO_CELSIUS:.1f} degC", ""),
            ("  mass, AlX3 activity", f"{s['final_electrolyte_mass']:.1f} kg, {s['final_alx3_activity']:.3f}", ""),
            (f"electrolyte renewals ({s['electrolyte_renewals']})", f"{s['electrolyte_removed']:.1f} kg removed, "
             f"{s['electrolyte_mgx2_removed']:.1f} kg MgX2 in it", ""),
            ("electrolyte consumed (renewal refills + additions)", f"{s['electrolyte_consumption'] * 1e3:.1f}", "kg/t Al"),
        ]
        if s["salt_precipitate"] > 0:
            rows.append(("MgX2 precipitated (salt sludge)", f"{s['salt_precipitate']:.2f}", "kg"))
        if s["mg_removed"] > 0:
            rows.append(("Mg removed before feeding", f"{s['mg_removed']:.2f} kg, reagent "
                         f"{s['mg_removal_reagent']:.1f} kg", f"({s['mg_removed_per_scrap'] * 1e3:.2f} kg/t scrap)"))
        for w in self.warnings:
            rows.append(("salt correlation extrapolated", w, ""))
        return rows

    def format_summary(self) -> str:
        rows = self.summary_rows()
        # a figure that does not exist (no tap yet; outside the operating window) reads n/a
        rows = [(label, "n/a", "") if re.search(r"\bnan\b", f"{value} {unit}", re.IGNORECASE)
                else (label, value, unit) for label, value, unit in rows]
        width = max(len(r[0]) for r in rows)
        text = "\n".join(f"{label:<{width}}  {value} {unit}".rstrip() for label, value, unit in rows)
        if self.window:
            text = (f"OUTSIDE THE OPERATING WINDOW: {self.window}\n"
                    "(energy, current efficiency and purity of this run are not results)\n" + text)
        return text


def _ppm(x: float) -> str:
    """ppm with the digits a small value needs: 0.0004 is not printed as 0.0."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0.0:
        return "0"
    return f"{x:.2g}" if abs(x) < 0.1 else f"{x:.1f}"


def _current_row(cfg, series: dict, s: dict) -> tuple[str, str, str]:
    """The cell current: the set value, or the mean and range of a current program."""
    if cfg.schedule.current_program == "constant":
        return ("current", f"{cfg.operation.current:.0f}", "A")
    i = np.asarray(series.get("cell_current", [cfg.operation.current]), dtype=float)
    mean = s["charge"] / s["campaign_length"] if s.get("campaign_length") else float(np.mean(i))
    return ("current (mean of the program)", f"{mean:.0f}",
            f"A ({cfg.schedule.current_program}: {np.min(i):.0f} to {np.max(i):.0f} A)")


def _purity_summary(model, al_produced: float) -> dict:
    """Product content by origin and the current-efficiency losses (cellsim.purity)."""
    s = model.state
    out = {}
    tapped = s.tapped.sum()
    for i, e in enumerate(IMPURITIES):
        for k, tag in enumerate(TAGS):
            out[f"product_{e}_from_{tag}"] = float(s.tags_tapped[k, i] / tapped) if tapped > 0 else math.nan
    for j, c in enumerate(model.pathways.cations):
        out[f"product_{c}"] = float(s.cations_tapped[j] / tapped) if tapped > 0 else math.nan
        out[f"product_{c}_from_salt_inclusions"] = (float(s.cations_included_tapped[j] / tapped)
                                                    if tapped > 0 else math.nan)
    if model.config.purity.salt_entrainment:
        # the inclusions are spread through the cathode metal: tapped and residual alike
        metal = tapped + s.cathode.sum()
        prov = model.salt
        salt = (s.salt_included_base + s.salt_included_alx3
                + float(np.dot(s.salt_included_halides, prov._halide_per_element)))
        out["product_salt_inclusions"] = salt / metal if metal > 0 else math.nan
        carried = prov._masses(s.salt_included_base, s.salt_included_alx3, s.salt_included_halides,
                               s.salt_included_deficit)
        metals = salt_entrainment.metals_of(prov.names, carried)
        for c, m in sorted(metals.items()):
            # the tracked cations are in product_<c>, the impurities in their pathway split
            if c not in model.pathways.cations and c not in ALL_ELEMENTS:
                out[f"product_{c}_from_salt_inclusions"] = m / metal if metal > 0 else math.nan
    faraday = s.charge * M_AL / (3 * FARADAY)
    for m in LOSSES:
        out[f"ce_loss_{m}"] = s.losses[m] / faraday if faraday > 0 else math.nan
    return out


def _ce_term_row(mechanism: str, share: float) -> tuple[str, str, str]:
    """One term of 1 - CE for the human summary: a loss as a positive share, a term that adds
    Al to the cathode (entrained alloy Al, stored negative) as a gain, never a negative loss."""
    name = mechanism.replace("_", " ")
    if mechanism == "entrained_al":
        name = "entrained alloy Al"
    kind = "gain" if share < 0 else "loss"
    return (f"  {kind}: {name}", f"{abs(share) * 100:.3f}", "%")


def _time_mean(t: np.ndarray, y: np.ndarray) -> float:
    """Trapezoidal time average of a recorded series."""
    if len(t) < 2 or t[-1] <= t[0]:
        return float(y[-1])
    return float(np.trapezoid(y, t) / (t[-1] - t[0]))


def _salt_summary(model, al_produced: float, scrap_fed: float) -> dict:
    """End composition, properties and the salt care ledger (cellsim.electrolyte)."""
    from .lumped.electrical import electrolyte_conductivity

    s, prov = model.state, model.salt
    m = prov.masses(s)
    props = model.salt_props
    mg_halide = prov._halide_per_element[IMPURITIES.index("Mg")]
    fresh = s.electrolyte_fresh_base + s.electrolyte_fresh_alf3 + s.alf3_added + s.base_salt_added
    return {
        **{f"electrolyte_w_{n}": float(x) for n, x in zip(prov.names, m / m.sum())},
        "final_electrolyte_mass": float(m.sum()),
        "final_electrolyte_conductivity": electrolyte_conductivity(model.config.electrolyte,
                                                            model.derived.temperature),
        "final_electrolyte_density": props.density, "final_electrolyte_liquidus": props.liquidus,
        "final_alx3_activity": model.alf3_activity(),
        "electrolyte_renewals": s.electrolyte_renewals,
        "electrolyte_removed": s.electrolyte_removed_base + s.electrolyte_removed_alf3 + float(
            np.dot(s.electrolyte_removed, prov._halide_per_element)),
        "electrolyte_mgx2_removed": float(s.electrolyte_removed[IMPURITIES.index("Mg")] * mg_halide),
        "electrolyte_fresh": s.electrolyte_fresh_base + s.electrolyte_fresh_alf3,
        "electrolyte_consumption": fresh / al_produced if al_produced > 0 else math.nan,
        "salt_precipitate": float(s.electrolyte_precipitate[IMPURITIES.index("Mg")] * mg_halide),
        "mg_removed": s.mg_removed, "mg_removal_reagent": s.mg_removal_reagent,
        "mg_removed_per_scrap": s.mg_removed / scrap_fed if scrap_fed > 0 else 0.0,
    }
