"""The configuration schema: one frozen dataclass per TOML section, all values in SI.

Dimensional keys take quantity strings (``acd = "4.5 cm"``); dimensionless keys take plain
numbers; compositions are tables of mass percent (``[scrap.composition_wt_pct]``). The
loader (``cellsim.config.loader``) enforces every constraint declared here; cross-section
checks (stacking densities, compositions summing to 100 %) live in ``validate.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .fields import boolean, choice, composition, number, quantity, section, sections, strings, text

_FROZEN = dict(frozen=True, slots=True, kw_only=True)


@dataclass(**_FROZEN)
class Meta:
    name: str = text("Short name of the configuration")
    description: str = text("One-line description", default="")
    sources: tuple = strings("References for the numbers in this file", default=())


@dataclass(**_FROZEN)
class Operation:
    current: float = quantity("current", "Total cell current imposed at the anode terminal",
                              "3 kA", lo=0.0, lo_open=True)
    temperature: float = quantity("temperature", "Operating (set-point) temperature of the electrolyte",
                                  "750 degC", lo=500.0, hi=1400.0)
    external_voltage_drop: float = quantity(
        "voltage", "Busbar and terminal contact drops outside the pot", "0.1 V", lo=0.0, hi=5.0)
    heater_max_power: float = quantity(
        "power", "Largest auxiliary heater power; without it the heater holds the set point "
        "whatever it takes (lumped level only so far: the field heater has no hook yet)", "5 kW",
        lo=0.0, optional=True)


@dataclass(**_FROZEN)
class Geometry:
    shape: str = choice("Plan shape of the pot cavity", ("cylindrical", "rectangular"))
    inner_radius: float = quantity("length", "Cavity radius (cylindrical)", "0.45 m",
                                   lo=0.0, lo_open=True, hi=20.0, optional=True)
    inner_length: float = quantity("length", "Cavity length (rectangular)", "1.2 m",
                                   lo=0.0, lo_open=True, hi=50.0, optional=True)
    inner_width: float = quantity("length", "Cavity width (rectangular)", "0.6 m",
                                  lo=0.0, lo_open=True, hi=20.0, optional=True)
    anode_alloy_depth: float = quantity("length", "Initial depth of the anode alloy", "10 cm",
                                        lo=0.0, lo_open=True, hi=2.0)
    acd: float = quantity("length", "Anode-cathode distance (electrolyte thickness)", "4.5 cm",
                          lo=0.0, lo_open=True, hi=1.0)
    cathode_metal_depth: float = quantity(
        "length", "Cathode metal depth left after a tap (and at start)", "5 cm",
        lo=0.0, lo_open=True, hi=2.0)
    freeboard: float = quantity("length", "Initial gas space between the cathode metal and the lid (the lid height is fixed by the initial stack)",
                                "15 cm", lo=0.0, hi=2.0)

    @property
    def area(self) -> float:
        """Horizontal cross-section of the cavity [m2]."""
        if self.shape == "cylindrical":
            return math.pi * self.inner_radius**2
        return self.inner_length * self.inner_width

    @property
    def perimeter(self) -> float:
        """Perimeter of the cavity [m]."""
        if self.shape == "cylindrical":
            return 2.0 * math.pi * self.inner_radius
        return 2.0 * (self.inner_length + self.inner_width)


@dataclass(**_FROZEN)
class Collectors:
    bottom_thickness: float = quantity("length", "Bottom carbon collector block thickness",
                                       "0.2 m", lo=0.0, lo_open=True, hi=2.0)
    bottom_resistivity: float = quantity("resistivity", "Bottom block electrical resistivity "
                                         "(at least 0.1 uohm cm: no conductor is better) [E]",
                                         "10 uohm m", lo=1e-9)
    bottom_thermal_conductivity: float = quantity(
        "thermal_conductivity", "Bottom block thermal conductivity", "60 W/(m K)", lo=0.0, lo_open=True)
    rod_count: int = number("Number of graphite rods dipping into the cathode metal", lo=1, integer=True)
    rod_diameter: float = quantity("length", "Rod diameter", "8 cm", lo=0.0, lo_open=True, hi=1.0)
    rod_length: float = quantity("length", "Rod length from the cathode metal to the busbar clamp",
                                 "0.6 m", lo=0.0, lo_open=True, hi=5.0)
    rod_resistivity: float = quantity("resistivity", "Rod electrical resistivity (at least 0.1 "
                                      "uohm cm: no conductor is better) [E]", "10 uohm m", lo=1e-9)
    rod_thermal_conductivity: float = quantity(
        "thermal_conductivity", "Rod thermal conductivity", "60 W/(m K)", lo=0.0, lo_open=True)
    rod_cold_end_temperature: float = quantity(
        "temperature", "Temperature of the rods at the busbar clamp", "200 degC", lo=200.0, hi=1400.0)
    contact_resistance: float = quantity(
        "resistance_total", "Sum of internal contact resistances (rod clamps, bar-block)",
        "5 uohm", lo=0.0)
    rod_material: str = choice(
        "Material of the rods where they dip into the cathode metal: graphite (does not dissolve "
        "in liquid Al) or steel (dissolves Fe; purity.collectors)", ("graphite", "steel"),
        default="graphite")


@dataclass(**_FROZEN)
class LiningLayer:
    name: str = text("Name of the layer as built (free text, e.g. 'vermiculite insulating brick')")
    material: str = text("Solid of the layer: the name of a [[materials.solid]] entry, which gives "
                         "its heat capacity (configs/materials/)")
    thickness: float = quantity("length", "Layer thickness", "0.1 m", lo=0.0, lo_open=True, hi=2.0)
    thermal_conductivity: float = quantity("thermal_conductivity", "Layer thermal conductivity",
                                           "0.15 W/(m K)", lo=0.0, lo_open=True, hi=500.0)


@dataclass(**_FROZEN)
class Lining:
    side: tuple = sections(LiningLayer, "Side-wall layers, inside to outside (steel shell last)")
    bottom: tuple = sections(LiningLayer, "Bottom layers below the collector block, inside to outside")
    lid: tuple = sections(LiningLayer, "Lid layers, inside to outside")
    shell_emissivity: float = number("Emissivity of the outer shell and lid", lo=0.0, hi=1.0)
    outside_convection: float = quantity(
        "heat_transfer_coefficient", "Free-convection coefficient outside", "10 W/(m2 K)",
        lo=0.0, hi=200.0)
    ambient_temperature: float = quantity("temperature", "Ambient temperature", "25 degC",
                                          lo=200.0, hi=400.0)
    inside_heat_transfer: float = quantity(
        "heat_transfer_coefficient", "Melt-to-wall (or ledge) heat transfer coefficient",
        "300 W/(m2 K)", lo=0.0, lo_open=True)
    gas_space_heat_transfer: float = quantity(
        "heat_transfer_coefficient", "Cathode-metal surface to lid coefficient (radiation + gas)",
        "50 W/(m2 K)", lo=0.0, lo_open=True)


@dataclass(**_FROZEN)
class Solid:
    name: str = text("Name that lining layers (material = ...) and [materials.collectors] refer to")
    volumetric_heat_capacity: float = quantity(
        "volumetric_heat_capacity", "rho c_p of the solid", "2e6 J/(m3 K)", lo=0.0, lo_open=True)
    source: str = text("Where the number comes from ([R], [E] with its range, or a reference key)")


@dataclass(**_FROZEN)
class CollectorMaterials:
    bottom_block: str = text("Solid of the bottom collector block (a [[materials.solid]] name)")
    rods: str = text("Solid of the collector rods (a [[materials.solid]] name)")


@dataclass(**_FROZEN)
class GasSpaceMaterial:
    volumetric_heat_capacity: float = quantity(
        "volumetric_heat_capacity", "rho c_p of the gas-space layer", "400 J/(m3 K)", lo=0.0, lo_open=True)


@dataclass(**_FROZEN)
class ElectrolyteMaterial:
    thermal_conductivity: float = quantity(
        "thermal_conductivity", "Molecular thermal conductivity of the liquid electrolyte (the eddy "
        "term of electrolyte.eddy_diffusivity is added)", "0.8 W/(m K)", lo=0.0, lo_open=True)


@dataclass(**_FROZEN)
class AluminiumMaterial:
    liquid_thermal_conductivity: float = quantity(
        "thermal_conductivity", "Molecular thermal conductivity of liquid Al", "100 W/(m K)",
        lo=0.0, lo_open=True)
    solid_thermal_conductivity: float = quantity(
        "thermal_conductivity", "Thermal conductivity of solid Al near its melting point",
        "210 W/(m K)", lo=0.0, lo_open=True)
    density: float = quantity("density", "Density of the cathode metal", "2349 kg/m3",
                              lo=500.0, hi=6000.0)


@dataclass(**_FROZEN)
class AlloyMaterial:
    thermal_conductivity: float = quantity(
        "thermal_conductivity", "Molecular thermal conductivity of the liquid anode alloy",
        "70 W/(m K)", lo=0.0, lo_open=True)
    density: float = quantity("density", "Density of the anode alloy (heat capacity and latent "
                              "heat per volume)", "3200 kg/m3", lo=500.0, hi=10000.0)
    specific_heat: float = quantity("specific_heat", "Specific heat of the anode alloy",
                                    "950 J/(kg K)", lo=0.0, lo_open=True)
    melting_point: float = quantity("temperature", "Melting point (eutectic) of the anode alloy",
                                    "548 degC", lo=300.0, hi=1400.0)
    latent_heat: float = quantity("specific_energy", "Latent heat of fusion of the anode alloy",
                                  "350 kJ/kg", lo=0.0)


@dataclass(**_FROZEN)
class Melting:
    mushy_range: float = quantity("temperature_difference", "Temperature range below each "
                                  "liquidus over which a layer melts (field levels)", "2 K",
                                  lo=0.0, lo_open=True, hi=50.0)


@dataclass(**_FROZEN)
class Materials:
    """Material properties of the pot for the field levels (configs/materials/; the loader
    uses the packaged ``pot`` entry when a configuration has no [materials] section)."""

    solids: tuple = sections(Solid, "Solids of the lining and collectors", key="solid")
    collectors: CollectorMaterials = section(CollectorMaterials, "Solids of the collectors")
    gas_space: GasSpaceMaterial = section(GasSpaceMaterial, "Gas-space layer")
    electrolyte: ElectrolyteMaterial = section(ElectrolyteMaterial, "Liquid electrolyte")
    aluminium: AluminiumMaterial = section(AluminiumMaterial, "Cathode metal (Al)")
    anode_alloy: AlloyMaterial = section(AlloyMaterial, "Anode alloy")
    melting: Melting = section(Melting, "Melting of the layers")

    def solid(self, name: str) -> Solid:
        """The solid called ``name`` (the configuration's validation has checked it exists)."""
        for entry in self.solids:
            if entry.name == name:
                return entry
        raise KeyError(name)


@dataclass(**_FROZEN)
class Electrolyte:
    name: str = text("Name of the electrolyte")
    family: str = choice("Which electrochemical series applies", ("fluoride", "chloride"))
    conductivity: float = quantity("conductivity", "Ionic conductivity at the reference temperature",
                                   "1.0 S/cm", lo=0.0, lo_open=True)
    conductivity_reference_temperature: float = quantity(
        "temperature", "Temperature of the conductivity value", "750 degC", lo=300.0)
    conductivity_activation_energy: float = quantity(
        "molar_energy", "Arrhenius activation energy of the conductivity", "10 kJ/mol", lo=0.0)
    density: float = quantity("density", "Density at operating temperature", "2.7 g/cm3",
                              lo=500.0, hi=6000.0)
    liquidus: float = quantity("temperature", "Liquidus temperature", "720 degC", lo=300.0, hi=1400.0)
    specific_heat: float = quantity("specific_heat", "Specific heat of the liquid", "0.9 J/(g K)",
                                    lo=0.0, lo_open=True)
    latent_heat: float = quantity("specific_energy", "Latent heat of fusion", "300 J/g", lo=0.0)
    ledge_thermal_conductivity: float = quantity(
        "thermal_conductivity", "Conductivity of the frozen ledge", "1.5 W/(m K)", lo=0.0, lo_open=True)
    mean_molar_mass: float = quantity("molar_mass", "Mean molar mass of the electrolyte (per mole of salt "
                                      "formula units)", "120 g/mol", lo=0.0, lo_open=True)
    alf3_mass_fraction: float = number("Initial AlF3 (or AlCl3) mass fraction of the electrolyte",
                                       lo=0.0, lo_open=True, hi=1.0)
    alf3_activity: float = number("Activity of AlX3 in the electrolyte (pure-salt reference) at the "
                                  "initial AlX3 fraction", lo=0.0, lo_open=True, hi=1.0)
    alf3_activity_model: str = choice(
        "How the AlX3 activity follows the electrolyte's AlX3 mass fraction w: henrian, a = alf3_activity "
        "w / w0 (w0 = alf3_mass_fraction) [E]; constant, a = alf3_activity throughout",
        ("henrian", "constant"), default="henrian")
    mass_transfer_coefficient: float = quantity(
        "velocity", "Salt-side mass-transfer coefficient at each metal|salt interface",
        "1e-2 cm/s", lo=0.0, lo_open=True)
    dissolved_al_solubility: float = number(
        "Mass fraction of dissolved Al in the electrolyte in equilibrium with pure Al", lo=0.0, hi=0.01)
    potential_offsets: dict = composition(
        "Per-element shift of delta_E vs Al for this electrolyte", key="potential_offsets_V", scale=1.0,
        lo=-3.0, hi=3.0, default={})
    alf3_impurities: dict = composition(
        "Impurity content of the AlX3 make-up salt (purity.makeup_salts)",
        key="alf3_impurities_ppm", scale=1e-6, hi=1e6, default={})
    base_salt_impurities: dict = composition(
        "Impurity content of the base-salt make-up (purity.makeup_salts)",
        key="base_salt_impurities_ppm", scale=1e-6, hi=1e6, default={})
    eddy_diffusivity: float = quantity(
        "diffusivity", "Eddy (convective-mixing) diffusivity of the liquid electrolyte, added to the "
        "molecular diffusivity of every dissolved species and, times rho c_p, to the thermal "
        "conductivity (field levels; docs/model.md 'Melt mixing')", "2e-4 m2/s", lo=0.0, hi=1.0,
        default=2e-4)
    composition: dict = composition(
        "Components of the fresh salt, AlX3 included (names as in cellsim.electrolyte.components, "
        "e.g. NaF, BaCl2, AlF3), mass percent summing to 100; without it the electrolyte is one "
        "pseudo-component plus its AlX3", key="composition_wt_pct", default={})
    composition_feedback: bool = boolean(
        "Conductivity, density (salt volume, ACD), liquidus, heat capacity and AlX3 activity follow "
        "the salt's composition (cellsim.electrolyte); false keeps the configured values throughout",
        default=True)
    layer_density_margin: float = quantity(
        "density", "Smallest density step the salt must keep to the cathode metal above it and the "
        "anode alloy below it; the campaign stops when the composition moves it inside this [E]",
        "0.1 g/cm3", lo=0.0, default=100.0)
    mgx2_solubility: float = number(
        "Solubility of MgX2 (MgF2, MgCl2) in the electrolyte, mass percent; the excess precipitates "
        "(electrolyte.precipitation); without it, no limit", lo=0.0, lo_open=True, hi=100.0,
        key="mgx2_solubility_wt_pct", scale=0.01, default=None)
    precipitation: str = choice(
        "Above the MgX2 solubility: precipitate (the excess leaves the electrolyte as a booked solid, "
        "salt sludge) or stop the campaign", ("precipitate", "stop"), default="precipitate")


@dataclass(**_FROZEN)
class AnodeAlloy:
    initial_composition: dict = composition("Initial alloy composition (Al is the balance)",
                                            key="initial_composition_wt_pct")
    resistivity: float = quantity("resistivity", "Electrical resistivity of the liquid alloy (at "
                                  "least 0.1 uohm cm: no conductor is better) [E]", "35 uohm cm",
                                  lo=1e-9)
    metal_mass_transfer_coefficient: float = quantity(
        "velocity", "Metal-side mass-transfer coefficient at the alloy|salt interface",
        "1e-2 cm/s", lo=0.0, lo_open=True)
    eddy_diffusivity: float = quantity(
        "diffusivity", "Eddy (convective-mixing) diffusivity of the liquid anode alloy, added to the "
        "molecular diffusivity of every dissolved species and, times rho c_p, to the thermal "
        "conductivity (field levels; docs/model.md 'Melt mixing')", "2e-4 m2/s", lo=0.0, hi=1.0,
        default=2e-4)
    activity_coefficients: dict = composition(
        "Raoultian activity coefficients in the alloy (default 1)", key="activity_coefficients",
        scale=1.0, lo=1e-6, hi=1e6, default={})
    solubility: dict = composition(
        "Liquid solubility at operating temperature; excess leaves as sludge",
        key="solubility_wt_pct", default={})
    sludge_al_per_element: dict = composition(
        "kg of Al carried into the sludge per kg of element (intermetallic stoichiometry)",
        key="sludge_al_per_element", scale=1.0, lo=0.0, hi=100.0, default={})
    min_al_fraction: float = number("Campaign ends when the alloy's Al falls below this",
                                    lo=0.0, hi=100.0, key="min_al_wt_pct", scale=0.01)
    max_impurity_fraction: float = number(
        "Campaign ends when the sum of the limited elements in the alloy passes this",
        lo=0.0, hi=100.0, key="max_impurity_wt_pct", scale=0.01)
    limited_elements: tuple = strings("Elements summed for max_impurity_wt_pct")


@dataclass(**_FROZEN)
class CathodeMetal:
    resistivity: float = quantity("resistivity", "Electrical resistivity of liquid Al (at least "
                                  "0.1 uohm cm: no conductor is better) [E]", "25 uohm cm",
                                  lo=1e-9)
    metal_mass_transfer_coefficient: float = quantity(
        "velocity", "Metal-side mass-transfer coefficient at the salt|cathode interface",
        "1e-2 cm/s", lo=0.0, lo_open=True)
    initial_composition: dict = composition("Impurities of the starting cathode metal",
                                            key="initial_composition_wt_pct", default={})
    eddy_diffusivity: float = quantity(
        "diffusivity", "Eddy (convective-mixing) diffusivity of the liquid cathode metal, added to the "
        "molecular diffusivity of every dissolved species and, times rho c_p, to the thermal "
        "conductivity (field levels; docs/model.md 'Melt mixing')", "2e-4 m2/s", lo=0.0, hi=1.0,
        default=2e-4)


@dataclass(**_FROZEN)
class Kinetics:
    model: str = choice("Electrode kinetics", ("butler-volmer", "linear"), default="butler-volmer")
    anode_exchange_current_density: float = quantity(
        "current_density", "Exchange current density, alloy|salt", "5 A/cm2", lo=0.0, lo_open=True)
    cathode_exchange_current_density: float = quantity(
        "current_density", "Exchange current density, salt|cathode", "5 A/cm2", lo=0.0, lo_open=True)
    alpha_anodic: float = number("Anodic transfer coefficient", lo=0.0, lo_open=True, hi=1.0,
                                 default=0.5)
    alpha_cathodic: float = number("Cathodic transfer coefficient", lo=0.0, lo_open=True, hi=1.0,
                                   default=0.5)


@dataclass(**_FROZEN)
class Scrap:
    name: str = text("Name of the scrap grade")
    composition: dict = composition("Metal composition (Al is the balance)",
                                    key="composition_wt_pct")
    metallic_yield: float = number("Metal fraction of the scrap as fed (the rest leaves as dross); "
                                   "at least 0.01 [E]: below that the feed is not metal scrap",
                                   lo=0.01, hi=1.0)
    feed_temperature: float = quantity("temperature", "Temperature of the scrap as fed", "25 degC",
                                       lo=200.0, hi=1200.0)
    mg_removal_efficiency: float = number(
        "Fraction of the scrap's Mg removed before feeding (demagging, e.g. by chlorine or AlF3 "
        "fluxing); the removed Mg and its cost are booked", lo=0.0, hi=1.0, default=0.0)
    mg_removal_energy: float = quantity(
        "specific_energy", "Energy of the Mg removal per tonne of scrap treated [E]", "50 kWh/t",
        lo=0.0, default=0.0)
    mg_removal_reagent: float = number(
        "kg of reagent per kg of Mg removed (Cl2: 2.92 stoichiometric; AlF3 fluxing: 2.30) [C]",
        lo=0.0, default=2.92)
    mg_removal_al_loss: float = number("kg of Al lost per kg of Mg removed (with the dross) [E]",
                                       lo=0.0, default=0.0)


@dataclass(**_FROZEN)
class CurrentStep:
    time: float = quantity("time", "Time from which the current applies", "10 d", lo=0.0)
    current: float = quantity("current", "Cell current from that time on", "2.5 kA", lo=0.0,
                              lo_open=True)


@dataclass(**_FROZEN)
class SaltAddition:
    time: float = quantity("time", "Time of the addition", "10 d", lo=0.0)
    alf3: float = quantity("mass", "AlF3 (AlX3) added", "5 kg", lo=0.0)
    base_salt: float = quantity("mass", "Base salt (the electrolyte without its AlX3) added", "0 kg",
                                lo=0.0, default=0.0)


@dataclass(**_FROZEN)
class Schedule:
    duration: float = quantity("time", "Longest campaign to simulate", "90 d", lo=0.0, lo_open=True)
    time_step: float = quantity("time", "Time step of the campaign integrator", "1 h",
                                lo=1.0, hi=86400.0)
    feed_mode: str = choice("Scrap feeding", ("continuous", "batch"), default="continuous")
    feed_interval: float = quantity("time", "Interval between batches (batch mode)", "12 h",
                                    lo=0.0, lo_open=True, default=43200.0)
    tap_interval: float = quantity("time", "Interval between cathode-metal taps", "2 d",
                                   lo=0.0, lo_open=True)
    stop_on_spec: bool = boolean("Stop when a tapped batch breaks the product specification",
                                 default=True)
    tap_mode: str = choice("When to tap: every tap_interval, or when the cathode metal reaches "
                           "tap_level", ("interval", "level"), default="interval")
    tap_level: float = quantity("length", "Cathode metal depth that triggers a tap (tap_mode = "
                                "\"level\")", "12 cm", lo=0.0, lo_open=True, hi=2.0, optional=True)
    current_program: str = choice("Cell current over the campaign: operation.current throughout, "
                                  "the current_steps table, or the current_file time series",
                                  ("constant", "steps", "csv"), default="constant")
    current_steps: tuple = sections(CurrentStep, "Current from a time on (current_program = "
                                    "\"steps\")", default=())
    current_file: str = text("CSV time series of the current (current_program = \"csv\"): header "
                             "'time [unit], current [unit]', linear between rows, held after the "
                             "last; a path relative to the working folder", default="")
    bleed_mode: str = choice(
        "Anode alloy bleed: none; every bleed_interval; whenever the limited elements of the alloy "
        "(anode_alloy.limited_elements) pass bleed_threshold_wt_pct; or both",
        ("none", "interval", "threshold", "both"), default="none")
    bleed_interval: float = quantity("time", "Interval between alloy bleeds (bleed_mode interval "
                                     "or both)", "15 d", lo=0.0, lo_open=True, optional=True)
    bleed_threshold: float = number(
        "Sum of the limited elements in the alloy that triggers a bleed (bleed_mode threshold or "
        "both); below anode_alloy.max_impurity_wt_pct", lo=0.0, lo_open=True, hi=100.0,
        key="bleed_threshold_wt_pct", scale=0.01, default=None)
    bleed_fraction: float = number("Fraction of the anode alloy mass removed by a bleed (with its "
                                   "composition)", lo=0.0, lo_open=True, hi=0.9, default=0.25)
    bleed_mass: float = quantity("mass", "Alloy mass removed by a bleed, instead of bleed_fraction",
                                 "100 kg", lo=0.0, lo_open=True, optional=True)
    bleed_refill_composition: dict = composition(
        "Composition of the fresh alloy that replaces the bled mass (Al is the balance); "
        "default: anode_alloy.initial_composition_wt_pct", key="bleed_refill_composition_wt_pct",
        default=None)
    salt_additions: str = choice(
        "Electrolyte make-up: continuous, AlX3 topped up to its initial fraction every step; "
        "interval, addition_alf3 (or the top-up) and addition_base_salt every addition_interval; "
        "table, the [[schedule.additions]] rows", ("continuous", "interval", "table"),
        default="continuous")
    addition_interval: float = quantity("time", "Interval between electrolyte additions "
                                        "(salt_additions = \"interval\")", "2 d", lo=0.0,
                                        lo_open=True, optional=True)
    addition_alf3: float = quantity("mass", "AlX3 added each addition_interval; without it, the "
                                    "top-up to the initial AlX3 fraction", "5 kg", lo=0.0,
                                    optional=True)
    addition_base_salt: float = quantity("mass", "Base salt added each addition_interval", "0 kg",
                                         lo=0.0, default=0.0)
    additions: tuple = sections(SaltAddition, "Electrolyte additions at given times "
                                "(salt_additions = \"table\")", default=())
    salt_renewal_mode: str = choice(
        "Partial salt renewal: none; every salt_renewal_interval; or whenever the salt's MgX2 "
        "passes salt_renewal_threshold_mgx2_wt_pct. Removed salt leaves with its contents "
        "(booked) and is replaced by the same mass of fresh electrolyte",
        ("none", "interval", "threshold"), default="none")
    salt_renewal_interval: float = quantity("time", "Interval between salt renewals", "10 d",
                                            lo=0.0, lo_open=True, optional=True)
    salt_renewal_threshold: float = number(
        "MgX2 content of the salt that triggers a renewal (salt_renewal_mode = \"threshold\")",
        lo=0.0, lo_open=True, hi=100.0, key="salt_renewal_threshold_mgx2_wt_pct", scale=0.01,
        default=None)
    salt_renewal_fraction: float = number("Fraction of the salt mass renewed each time", lo=0.0,
                                          lo_open=True, hi=1.0, default=0.5)
    salt_renewal_refill: str = choice(
        "Fresh electrolyte added at a renewal: level, what brings the salt back to its initial "
        "mass (the configured layer: the MgX2 the exchange added leaves with the salt); mass, "
        "the mass removed", ("level", "mass"), default="level")
    salt_renewal_mass: float = quantity("mass", "Salt mass renewed each time, instead of "
                                        "salt_renewal_fraction", "20 kg", lo=0.0, lo_open=True,
                                        optional=True)
    min_ledge_thickness: float = quantity(
        "length", "Stop when the sidewall ledge (mean over the electrolyte band) is thinner than "
        "this: the electrolyte touches the lining; without it, no ledge check", "5 mm", lo=0.0,
        lo_open=True, hi=1.0, optional=True)
    stop_on_frozen_electrolyte: bool = boolean(
        "Stop when the electrolyte freezes: its temperature below its liquidus, or (field "
        "levels) its liquid volume fraction below min_electrolyte_liquid_fraction (was "
        "stop_on_frozen_bath)", default=True)
    min_electrolyte_liquid_fraction: float = number(
        "Liquid volume fraction of the electrolyte below which it counts as frozen (field "
        "levels; was min_bath_liquid_fraction) [E]", lo=0.0, lo_open=True, hi=1.0, default=0.5)
    max_temperature: float = quantity("temperature", "Stop when the melt temperature passes this; "
                                      "without it, no check", "900 degC", lo=300.0, hi=2000.0,
                                      optional=True)


@dataclass(**_FROZEN)
class ProductSpec:
    name: str = text("Name of the grade")
    min_al_fraction: float = number("Minimum Al", lo=0.0, hi=100.0, key="min_al_wt_pct", scale=0.01)
    max_fraction: dict = composition("Maximum of each element", key="max_wt_pct")


@dataclass(**_FROZEN)
class Purity:
    """Pathways into the product beyond the exchange equilibrium (cellsim.purity; docs/purity.md).
    Every pathway is off unless switched on; a pathway switched on without its data is an error."""

    equilibria: str = choice(
        "Temperature of the exchange equilibria: fixed_1000K, delta_E of the 1000 K series; janaf, "
        "delta_E(T) interpolated in the NIST-JANAF table of cellsim.purity.equilibria",
        ("fixed_1000K", "janaf"), default="fixed_1000K")
    makeup_salts: bool = boolean("Impurities carried by the make-up salts into the electrolyte "
                                 "(electrolyte.alf3_impurities_ppm, base_salt_impurities_ppm)",
                                 default=False)
    lining: bool = boolean("Impurities released by the side lining where the electrolyte touches it "
                           "(no sidewall ledge): purity.lining_release_mg_per_m2_d", default=False)
    lining_release: dict = composition(
        "Release of each element from the wetted side lining [E]", key="lining_release_mg_per_m2_d",
        scale=1e-6 / 86400.0, hi=1e6, default={})
    collectors: bool = boolean("Dissolution of the rods in the cathode metal (collectors.rod_material:"
                               " steel dissolves Fe at the metal-side mass-transfer rate, graphite "
                               "nothing)", default=False)
    iron_saturation: float = number(
        "Fe solubility in liquid Al at the operating temperature (steel rods) [R]",
        key="iron_saturation_wt_pct", scale=0.01, lo=0.0, lo_open=True, hi=100.0, default=0.025)
    codissolution: bool = boolean(
        "Non-selective dissolution of the alloy when the anodic current density exceeds the "
        "Al supply of the alloy-side film", default=False)
    entrainment: bool = boolean("Anode alloy carried into the product (purity.alloy_entrainment)",
                                default=False)
    alloy_entrainment: float = number(
        "kg of anode alloy carried into the product per kg of Al deposited (calibrated: docs/purity.md)",
        lo=0.0, hi=1.0, default=None)
    salt_entrainment: bool = boolean(
        "Electrolyte carried into the product as salt inclusions (purity.salt_inclusions): the "
        "salt's cations and dissolved impurities enter the product", default=False)
    salt_inclusions: float = number(
        "kg of electrolyte carried into the product per kg of Al deposited [E] (docs/purity.md)",
        lo=0.0, hi=1.0, default=None)
    codeposition: bool = boolean(
        "Electrolyte cations (Na, Li, K, Ca, Ba) co-deposited at the cathode by the exchange equilibrium "
        "(purity.cation_* tables)", default=False)
    cation_salt_mole_fraction: dict = composition(
        "Mole fraction of each cation's halide in the electrolyte", key="cation_salt_mole_fraction",
        scale=1.0, hi=1.0, default={})
    cation_salt_activity_coefficient: dict = composition(
        "Activity coefficient of each cation's halide in the electrolyte", key="cation_salt_activity_coefficient",
        scale=1.0, lo=1e-6, hi=1e6, default={})
    cation_metal_activity_coefficient: dict = composition(
        "Henrian activity coefficient of each cation's metal in liquid Al",
        key="cation_metal_activity_coefficient", scale=1.0, lo=1e-6, hi=1e9, default={})


@dataclass(**_FROZEN)
class CurrentEfficiency:
    """Loss mechanisms of the current efficiency (cellsim.purity.efficiency; docs/purity.md)."""

    dissolved_metal: str = choice(
        "Dissolved-metal loss: films, the two salt films in series at the configured solubility; "
        "transport, solubility with temperature and a_Al (Arthur 1974) carried through both films "
        "and the bulk across the ACD (eddy diffusivity)", ("films", "transport"), default="films")
    solubility_reference_temperature: float = quantity(
        "temperature", "Temperature of electrolyte.dissolved_al_solubility", "750 degC", lo=300.0,
        default=None)
    solubility_temperature_coefficient: float = number(
        "Relative change of the Al solubility per kelvin [1/K]", lo=0.0, hi=0.1, default=0.0)
    solubility_ratio_coefficient: float = number(
        "Relative change of the Al solubility per unit of the electrolyte's NaF/AlF3 mass ratio about "
        "its configured value [1] (dissolved_metal = transport; 0: no composition term)",
        lo=0.0, hi=10.0, default=0.0)
    solubility_reference_ratio: float = number(
        "NaF/AlF3 mass ratio of the electrolyte in which electrolyte.dissolved_al_solubility holds; "
        "default: the configured fresh salt's (electrolyte.composition_wt_pct)",
        lo=0.0, lo_open=True, hi=100.0, default=None)
    oxidation_rate: float = quantity(
        "mass_flux", "Al lost by oxidation of the exposed cathode metal through the gas space",
        "0.05 kg/(m2 d)", lo=0.0, default=0.0)
    shunt_fraction: float = number("Fraction of the current passing without electrolysis "
                                   "(electronic or leakage)", lo=0.0, hi=1.0, default=0.0)


@dataclass(**_FROZEN)
class Footprint:
    grid: str = text("Name of the electricity supply")
    emission_factor: float = quantity("emission_factor", "Life-cycle emission factor of the "
                                      "electricity", "0.481 kg/kWh", lo=0.0, hi=2e-6)


# The preconditioner backends of cellsim.fields.solvers.BACKENDS (a test holds the two equal;
# the configuration names them without importing the field modules).
SOLVER_BACKENDS = ("lu", "cholesky", "multigrid", "jacobi")


@dataclass(**_FROZEN)
class LinearSolvers:
    """The linear solver of each field (docs/architecture.md, linear-algebra layer)."""

    current: str = choice(
        "Preconditioner of the current field's PCG (cellsim.fields.solvers.BACKENDS): auto = lu "
        "(symmetric sparse LU) on 2D grids below 3e5 cells, multigrid otherwise",
        ("auto",) + SOLVER_BACKENDS, default="auto")
    heat: str = choice(
        "Preconditioner of the heat field's PCG: auto = cholesky (band Cholesky, assembled from "
        "the faces) on r-z grids (lu: SuperLU with partial pivoting); on 3D grids multigrid with the backward-Euler shift, or jacobi for short steps "
        "where the shift dominates (sum of the shift below 3 % of the operator's diagonal)",
        ("auto",) + SOLVER_BACKENDS, default="auto")
    species: str = choice(
        "Species transport (bordered by the metal pools; cellsim.fields.species_linear.SOLVERS): band "
        "(banded factorisations kept across steps), sparse (SuperLU per impurity and step, the "
        "reference), auto (band when it fits in memory), or a PCG preconditioner as for the "
        "heat and current (the pools eliminated; symmetric transport only, no migration)",
        ("auto", "band", "sparse") + SOLVER_BACKENDS, default="auto")


@dataclass(**_FROZEN)
class Numerics:
    model: str = choice("Model level: lumped (0D), axisymmetric (2D r-z fields), 3d (3D x-y-z "
                        "fields, quarter pot)", ("lumped", "axisymmetric", "3d"), default="axisymmetric")
    heat_paths: str = choice("Lumped level's heat paths: 'lining' (1D resistances through the "
                             "lining) or 'field' (each face scaled by the shape factor of one "
                             "steady axisymmetric solve of the same pot, cached; "
                             "cellsim.lumped.calibration)", ("lining", "field"), default="lining")
    record_interval: float = quantity("time", "Interval of the recorded time series", "6 h",
                                      lo=1.0, default=21600.0)
    resolution: str = choice("Grid of the field levels (cellsim.fields.pot.RESOLUTIONS)",
                             ("coarse", "default", "fine"), default="default")
    remesh_threshold: float = quantity("length", "Change of a layer depth that rebuilds the field "
                                       "grid (temperature remapped); with the grid placed ahead "
                                       "(remesh_placement) 10 mm kept the 45-day heater, specific "
                                       "energy and voltage closer to a grid rebuilt every step "
                                       "than 5 mm at the depths of the moment did (docs/campaign.md)",
                                       "10 mm", lo=0.0, lo_open=True, default=0.010)
    remesh_placement: str = choice(
        "Where a rebuilt field grid puts the moving layers: 'ahead' (each depth moved on, at the "
        "rate of its last step, to where it will be half way to the next rebuild, so the grid "
        "leads the layers as much as it lags them and their mean offset is ~0) or 'at_depth' (at "
        "the depths of the moment: the grid lags the layers by about half "
        "numerics.remesh_threshold between rebuilds; docs/campaign.md, Moving layers)",
        ("ahead", "at_depth"), default="ahead")
    snapshot_interval: float = quantity("time", "Interval of the field snapshots written to the "
                                        "result file (field levels)", "1 d", lo=1.0, default=86400.0)
    checkpoint_interval: float = quantity("time", "Interval of the restart checkpoints written "
                                          "while a campaign runs to a file", "1 d", lo=1.0,
                                          default=86400.0)
    checkpoint_wall_interval: float = quantity(
        "time", "Least wall-clock time between two checkpoint files: a sync point sooner than "
        "this after the last written checkpoint (the first is always written) drops the caches "
        "but writes no file, which bounds the time spent writing (about 1 s per checkpoint of a "
        "field level); the results do not depend on it, a resume continues from the last "
        "written one (0 s: a file at every sync point)", "30 s", lo=0.0, default=30.0)
    max_cells: int = number("Largest field grid (cells) a run may build; the estimate is checked "
                            "before the grid is built (about 2 kB of memory per cell) [E]",
                            lo=1, integer=True, default=2_000_000)
    linear_solver: LinearSolvers = section(LinearSolvers, "Linear solver of each field (field "
                                           "levels)", default=LinearSolvers())
    current_reuse: float = number("Field levels: the last current solution is reused while no "
                                  "electrolyte cell's conductivity has moved by more than this "
                                  "fraction since it was solved (same grid and current; the voltage "
                                  "terms then lag by at most this fraction of the electrolyte's ohmic "
                                  "drop, docs/campaign.md); 0 solves every step",
                                  lo=0.0, hi=0.01, default=1e-4)
    heat_tolerance: float = number(
        "Field levels: the heat step's Newton stops when its summed absolute residual is below "
        "this fraction of the throughput (the sum of the physical flows) or at the residual's "
        "round-off floor (docs/heat.md). At the default the floor decides (two Newton corrections "
        "in nearly every r-z step); 1e-7 ends two r-z steps of three after one correction and "
        "moved the default 45-day r-z run's specific energy, voltage and heater power by less "
        "than 2e-8, its CE and purity not at all (docs/speed.md); the heat balance then closes "
        "to about this fraction", lo=0.0, lo_open=True, hi=1e-4, default=1e-11)
    overlap_steps: str = choice(
        "Field levels: run the heat and species steps of a time step in two threads at once "
        "(the same numbers; less wall time when a second core is free): 'auto' on grids of at "
        "least 20,000 cells (the default 3D pot) while another core of those this process may "
        "use is free (cellsim.fields.solvers: the other processes' CPU time over the last "
        "second), 'on' whenever two threads are allowed (NUMBA_NUM_THREADS), 'off' never; "
        "the environment variable CELLSIM_OVERLAP_STEPS overrides it (docs/speed.md)",
        ("auto", "on", "off"), default="auto")


@dataclass(**_FROZEN)
class Window:
    """The operating window (cellsim.window): leaving it stops the campaign."""

    enabled: bool = boolean("Stop a campaign whose state leaves the operating window (and mark "
                            "its result); false only to explore outside it", default=True)
    min_superheat: float = quantity("temperature_difference", "Smallest melt temperature above "
                                    "the electrolyte liquidus [E] 5-20 K", "5 K", lo=0.0, hi=500.0,
                                    default=5.0)
    max_temperature: float = quantity("temperature", "Highest melt temperature; default by "
                                      "electrolyte.family: fluoride 1000 degC, chloride 850 degC [E]",
                                      "850 degC", lo=500.0, hi=2500.0, optional=True)
    min_acd: float = quantity("length", "Smallest anode-cathode distance [E] 1-3 cm", "2 cm",
                              lo=0.0, hi=1.0, default=0.02)


@dataclass(**_FROZEN)
class Config:
    meta: Meta = section(Meta, "Name and sources")
    operation: Operation = section(Operation, "Operating point")
    geometry: Geometry = section(Geometry, "Cavity and layer stack")
    collectors: Collectors = section(Collectors, "Current collectors")
    lining: Lining = section(Lining, "Thermal lining")
    materials: Materials = section(Materials, "Material properties of the pot (default: the "
                                   "packaged library entry 'pot')")
    electrolyte: Electrolyte = section(Electrolyte, "Electrolyte")
    anode_alloy: AnodeAlloy = section(AnodeAlloy, "Anode alloy")
    cathode_metal: CathodeMetal = section(CathodeMetal, "Cathode metal")
    kinetics: Kinetics = section(Kinetics, "Electrode kinetics")
    scrap: Scrap = section(Scrap, "Scrap fed to the anode alloy")
    schedule: Schedule = section(Schedule, "Campaign schedule")
    product: ProductSpec = section(ProductSpec, "Product specification")
    footprint: Footprint = section(Footprint, "Carbon footprint")
    purity: Purity = section(Purity, "Pathways into the product", default=Purity())
    current_efficiency: CurrentEfficiency = section(CurrentEfficiency, "Current-efficiency losses",
                                                   default=CurrentEfficiency())
    numerics: Numerics = section(Numerics, "Numerical settings", default=Numerics())
    window: Window = section(Window, "Operating window (cellsim.window)", default=Window())
