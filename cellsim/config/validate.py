"""Cross-section checks of a loaded configuration (everything a single key cannot check)."""

from __future__ import annotations

import difflib

from ..elements import CATIONS, ELEMENTS, IMPURITIES
from .errors import ConfigError
from .schema import Config
from ..units import celsius

STACKING_MARGIN = 100.0
"""Smallest density step between stacked layers [kg/m3] (0.1 g/cm3). Operation should keep
>= 0.3 g/cm3 [E] (docs/model.md); below 0.1 the layers cannot be relied on to stay apart."""


CATHODE_MAX_IMPURITIES = 0.5
"""Largest impurity sum of the starting cathode metal [E]: it is refined Al (>99 % in practice);
above half impurities it is no longer an Al pad floating on the salt."""


def alloy_density(mass_fractions: dict[str, float]) -> float:
    """Density of a liquid alloy by ideal mixing of specific volumes [kg/m3].

    ``mass_fractions`` maps impurity symbols to mass fractions; Al is the balance. Ideal
    mixing gives 3.09 g/cm3 for Al-33Cu at 750 degC (real Al-Cu melts are 3.1-3.3 g/cm3 [R],
    denser, so this is conservative for the stacking check).
    """
    w_al = 1.0 - sum(mass_fractions.values())
    specific_volume = w_al / ELEMENTS["Al"].liquid_density
    for symbol, w in mass_fractions.items():
        specific_volume += w / ELEMENTS[symbol].liquid_density
    return 1.0 / specific_volume


def _check_composition(comp: dict, key: str, file: str, allowed=IMPURITIES) -> None:
    for symbol, w in comp.items():
        if symbol not in allowed:
            raise ConfigError(file, f"{key}.{symbol}", w * 100, f"an element among {list(allowed)}")
    total = sum(comp.values())
    if total > 1.0:
        raise ConfigError(file, key, {k: round(v * 100, 6) for k, v in comp.items()},
                          f"mass percents summing to at most 100 (they sum to {total * 100:g})")


def validate(config: Config, file: str) -> None:
    """Raise :class:`ConfigError` on inconsistent input; return None when the config is usable."""
    geo = config.geometry
    if geo.shape == "cylindrical" and geo.inner_radius is None:
        raise ConfigError(file, "geometry.inner_radius", None, "a length for a cylindrical pot")
    if geo.shape == "rectangular" and (geo.inner_length is None or geo.inner_width is None):
        raise ConfigError(file, "geometry.inner_length/inner_width", None,
                          "two lengths for a rectangular pot")
    _check_composition(config.anode_alloy.initial_composition, "anode_alloy.initial_composition_wt_pct", file)
    _check_composition(config.scrap.composition, "scrap.composition_wt_pct", file)
    _check_composition(config.cathode_metal.initial_composition,
                       "cathode_metal.initial_composition_wt_pct", file)
    if sum(config.cathode_metal.initial_composition.values()) > CATHODE_MAX_IMPURITIES:
        raise ConfigError(file, "cathode_metal.initial_composition_wt_pct",
                          {k: round(v * 100, 6) for k, v in config.cathode_metal.initial_composition.items()},
                          f"impurities summing to at most {CATHODE_MAX_IMPURITIES * 100:g} wt% (the "
                          "cathode metal is refined Al)")
    _check_composition(config.product.max_fraction, "product.max_wt_pct", file,
                       allowed=tuple(ELEMENTS))
    for key, table in (("anode_alloy.solubility_wt_pct", config.anode_alloy.solubility),
                       ("anode_alloy.activity_coefficients", config.anode_alloy.activity_coefficients),
                       ("anode_alloy.sludge_al_per_element", config.anode_alloy.sludge_al_per_element),
                       ("electrolyte.potential_offsets_V", config.electrolyte.potential_offsets)):
        for symbol, value in table.items():
            if symbol not in IMPURITIES:
                raise ConfigError(file, f"{key}.{symbol}", value, f"an element among {list(IMPURITIES)}")
    for symbol in config.anode_alloy.limited_elements:
        if symbol not in IMPURITIES:
            raise ConfigError(file, "anode_alloy.limited_elements", symbol,
                              f"elements among {list(IMPURITIES)}")
    T = config.operation.temperature
    if T <= config.electrolyte.liquidus:
        raise ConfigError(file, "operation.temperature", f"{celsius(T):g} degC",
                          f"above the electrolyte liquidus ({celsius(config.electrolyte.liquidus):g} degC)")
    rho_alloy = alloy_density(config.anode_alloy.initial_composition)
    rho_salt = config.electrolyte.density
    rho_al = ELEMENTS["Al"].liquid_density
    if rho_alloy - rho_salt < STACKING_MARGIN:
        raise ConfigError(file, "electrolyte.density", f"{rho_salt / 1000:g} g/cm3",
                          f"at least 0.1 g/cm3 below the anode alloy ({rho_alloy / 1000:.3f} g/cm3 by "
                          "ideal mixing) so that the layers stack")
    if rho_salt - rho_al < STACKING_MARGIN:
        raise ConfigError(file, "electrolyte.density", f"{rho_salt / 1000:g} g/cm3",
                          f"at least 0.1 g/cm3 above the cathode Al ({rho_al / 1000:.3f} g/cm3) "
                          "so that the layers stack")
    if config.schedule.time_step > config.schedule.tap_interval:
        raise ConfigError(file, "schedule.time_step", config.schedule.time_step,
                          "a time step no longer than schedule.tap_interval")
    _check_schedule(config, file)
    _check_materials(config, file)
    _check_purity(config, file)
    _check_design(config, file)


def _check_materials(config: Config, file: str) -> None:
    """Every solid named by a lining layer or the collectors is a [[materials.solid]] entry,
    and each entry is named once."""
    names = [s.name for s in config.materials.solids]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(file, "materials.solid.name", name, "each solid named once")

    def check(key: str, value: str) -> None:
        if value not in names:
            close = difflib.get_close_matches(value, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(file, key, value,
                              f"one of the solids of [materials] {names}{hint} (configs/materials/)")

    for part in ("side", "bottom", "lid"):
        for i, layer in enumerate(getattr(config.lining, part)):
            check(f"lining.{part}[{i}].material", layer.material)
    for key in ("bottom_block", "rods"):
        check(f"materials.collectors.{key}", getattr(config.materials.collectors, key))


def _check_design(config: Config, file: str) -> None:
    """Designs that cannot run (cellsim.window.design_problems) or would exhaust the machine
    (cellsim.guards.resource_problems): the first one, by key."""
    from ..guards import resource_problems
    from ..window import design_problems

    problems = design_problems(config) + resource_problems(config)
    if problems:
        key, value, expected = problems[0]
        raise ConfigError(file, key, value, expected)


def _check_purity(config: Config, file: str) -> None:
    """A pathway switched on needs its data; tables name known elements or cations."""
    p, el, ce = config.purity, config.electrolyte, config.current_efficiency
    for key, table in (("electrolyte.alf3_impurities_ppm", el.alf3_impurities),
                       ("electrolyte.base_salt_impurities_ppm", el.base_salt_impurities),
                       ("purity.lining_release_mg_per_m2_d", p.lining_release)):
        for symbol, value in table.items():
            if symbol not in IMPURITIES:
                raise ConfigError(file, f"{key}.{symbol}", value, f"an element among {list(IMPURITIES)}")
    if p.makeup_salts and not (el.alf3_impurities or el.base_salt_impurities):
        raise ConfigError(file, "electrolyte.alf3_impurities_ppm", None,
                          "the impurity content of the make-up salt when purity.makeup_salts = true")
    if p.lining and not p.lining_release:
        raise ConfigError(file, "purity.lining_release_mg_per_m2_d", None,
                          "release rates of the lining when purity.lining = true")
    if p.entrainment and p.alloy_entrainment is None:
        raise ConfigError(file, "purity.alloy_entrainment", None,
                          "a coefficient (kg alloy per kg Al, 0 to 1) when purity.entrainment = true")
    if p.salt_entrainment and p.salt_inclusions is None:
        raise ConfigError(file, "purity.salt_inclusions", None,
                          "a coefficient (kg salt per kg Al, 0 to 1) when purity.salt_entrainment = true")
    tables = {"purity.cation_salt_mole_fraction": p.cation_salt_mole_fraction,
              "purity.cation_salt_activity_coefficient": p.cation_salt_activity_coefficient,
              "purity.cation_metal_activity_coefficient": p.cation_metal_activity_coefficient}
    for key, table in tables.items():
        for symbol, value in table.items():
            if symbol not in CATIONS:
                raise ConfigError(file, f"{key}.{symbol}", value, f"a cation among {list(CATIONS)}")
    if p.codeposition:
        cations = set(p.cation_salt_mole_fraction)
        if not cations:
            raise ConfigError(file, "purity.cation_salt_mole_fraction", None,
                              "at least one cation when purity.codeposition = true")
        for key, table in tables.items():
            if set(table) != cations:
                missing = sorted(cations - set(table)) or sorted(set(table) - cations)
                raise ConfigError(file, key, dict(table),
                                  f"the same cations as purity.cation_salt_mole_fraction "
                                  f"({sorted(cations)}; differs in {missing})")
    if ce.dissolved_metal == "transport" and ce.solubility_reference_temperature is None:
        raise ConfigError(file, "current_efficiency.solubility_reference_temperature", None,
                          "the temperature of electrolyte.dissolved_al_solubility when "
                          "current_efficiency.dissolved_metal = \"transport\"")


def _check_schedule(config: Config, file: str) -> None:
    """Taps by level need a level; a current program needs its steps or its file."""
    sched = config.schedule
    geo = config.geometry
    if sched.tap_mode == "level":
        if sched.tap_level is None:
            raise ConfigError(file, "schedule.tap_level", None, "a length when tap_mode = \"level\"")
        if sched.tap_level <= geo.cathode_metal_depth:
            raise ConfigError(file, "schedule.tap_level", sched.tap_level,
                              f"a depth above the residual cathode metal depth "
                              f"({geo.cathode_metal_depth * 100:g} cm)")
    if sched.current_program == "steps" and not sched.current_steps:
        raise ConfigError(file, "schedule.current_steps", None,
                          "at least one [[schedule.current_steps]] when current_program = \"steps\"")
    if sched.current_program == "csv" and not sched.current_file:
        raise ConfigError(file, "schedule.current_file", "", "a CSV file when current_program = \"csv\"")

    _check_bleed(config, file)
    _check_additions(config, file)
    _check_electrolyte(config, file)
    _check_thermal(config, file)


def _check_bleed(config: Config, file: str) -> None:
    """An alloy bleed needs its trigger; its threshold sits below the alloy limit; the fresh
    alloy stacks below the electrolyte; a bleed mass is smaller than the alloy."""
    sched, aa = config.schedule, config.anode_alloy
    if sched.bleed_refill_composition is not None:
        _check_composition(sched.bleed_refill_composition, "schedule.bleed_refill_composition_wt_pct", file)
        rho = alloy_density(sched.bleed_refill_composition)
        if rho - config.electrolyte.density < STACKING_MARGIN:
            raise ConfigError(file, "schedule.bleed_refill_composition_wt_pct",
                              {k: round(v * 100, 6) for k, v in sched.bleed_refill_composition.items()},
                              f"a fresh alloy at least 0.1 g/cm3 denser than the electrolyte "
                              f"({config.electrolyte.density / 1000:g} g/cm3; this one is "
                              f"{rho / 1000:.3f} g/cm3 by ideal mixing)")
    if sched.bleed_mode in ("interval", "both"):
        if sched.bleed_interval is None:
            raise ConfigError(file, "schedule.bleed_interval", None,
                              f"a time when bleed_mode = \"{sched.bleed_mode}\"")
        if sched.bleed_interval < sched.time_step:
            raise ConfigError(file, "schedule.bleed_interval", sched.bleed_interval,
                              f"at least schedule.time_step ({sched.time_step:g} s)")
    if sched.bleed_mode in ("threshold", "both"):
        if sched.bleed_threshold is None:
            raise ConfigError(file, "schedule.bleed_threshold_wt_pct", None,
                              f"a mass percent when bleed_mode = \"{sched.bleed_mode}\"")
        if sched.bleed_threshold >= aa.max_impurity_fraction:
            raise ConfigError(file, "schedule.bleed_threshold_wt_pct", sched.bleed_threshold * 100,
                              f"below anode_alloy.max_impurity_wt_pct ({aa.max_impurity_fraction * 100:g}),"
                              " or the campaign stops before it bleeds")
    if sched.bleed_mass is not None:
        geo = config.geometry
        alloy = alloy_density(aa.initial_composition) * geo.area * geo.anode_alloy_depth
        if sched.bleed_mass >= 0.9 * alloy:
            raise ConfigError(file, "schedule.bleed_mass", f"{sched.bleed_mass:g} kg",
                              f"less than 90 % of the initial anode alloy ({alloy:.1f} kg)")


def _check_additions(config: Config, file: str) -> None:
    sched = config.schedule
    if sched.salt_additions == "interval":
        if sched.addition_interval is None:
            raise ConfigError(file, "schedule.addition_interval", None,
                              "a time when salt_additions = \"interval\"")
        if sched.addition_interval < sched.time_step:
            raise ConfigError(file, "schedule.addition_interval", sched.addition_interval,
                              f"at least schedule.time_step ({sched.time_step:g} s)")
    if sched.salt_additions == "table" and not sched.additions:
        raise ConfigError(file, "schedule.additions", None,
                          "at least one [[schedule.additions]] when salt_additions = \"table\"")


def _check_thermal(config: Config, file: str) -> None:
    sched, T = config.schedule, config.operation.temperature
    if sched.max_temperature is not None and sched.max_temperature <= T:
        raise ConfigError(file, "schedule.max_temperature", f"{celsius(sched.max_temperature):g} degC",
                          f"above operation.temperature ({celsius(T):g} degC)")
    if config.operation.heater_max_power is not None and config.numerics.model != "lumped":
        raise ConfigError(file, "operation.heater_max_power",
                          f"{config.operation.heater_max_power:g} W",
                          "no value at the field levels (the field heater is not limited yet); "
                          "numerics.model = \"lumped\" to use it")


def _check_electrolyte(config: Config, file: str) -> None:
    """Salt components known, summing to 100 %, the AlX3 share as alf3_mass_fraction; a salt
    renewal has its trigger and is smaller than the salt."""
    from ..electrolyte.components import ALX3, COMPONENTS

    el, sched, geo = config.electrolyte, config.schedule, config.geometry
    comp = el.composition
    if comp:
        for name, w in comp.items():
            if name not in COMPONENTS:
                raise ConfigError(file, f"electrolyte.composition_wt_pct.{name}", w * 100,
                                  f"a salt component among {list(COMPONENTS)}")
        total = sum(comp.values())
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(file, "electrolyte.composition_wt_pct",
                              {k: round(v * 100, 6) for k, v in comp.items()},
                              f"mass percents summing to 100 (they sum to {total * 100:g})")
        alx3 = [n for n in ALX3.values() if n in comp]
        if len(alx3) != 1 or abs(comp[alx3[0]] - el.alf3_mass_fraction) > 1e-6:
            raise ConfigError(file, "electrolyte.composition_wt_pct",
                              {k: round(v * 100, 6) for k, v in comp.items()},
                              f"exactly one of AlF3/AlCl3 at electrolyte.alf3_mass_fraction "
                              f"({el.alf3_mass_fraction * 100:g} wt%)")
    mode = sched.salt_renewal_mode
    if mode == "interval" and sched.salt_renewal_interval is None:
        raise ConfigError(file, "schedule.salt_renewal_interval", None,
                          "a time when salt_renewal_mode = \"interval\"")
    if mode == "interval" and sched.salt_renewal_interval < sched.time_step:
        raise ConfigError(file, "schedule.salt_renewal_interval", sched.salt_renewal_interval,
                          f"at least schedule.time_step ({sched.time_step:g} s)")
    if mode == "threshold" and sched.salt_renewal_threshold is None:
        raise ConfigError(file, "schedule.salt_renewal_threshold_mgx2_wt_pct", None,
                          "a mass percent when salt_renewal_mode = \"threshold\"")
    if sched.salt_renewal_mass is not None:
        salt = el.density * geo.area * geo.acd
        if sched.salt_renewal_mass >= salt:
            raise ConfigError(file, "schedule.salt_renewal_mass", f"{sched.salt_renewal_mass:g} kg",
                              f"less than the salt in the pot ({salt:.1f} kg)")
