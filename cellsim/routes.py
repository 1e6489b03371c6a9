"""The two routes a scrap buyer weighs against electrorefining, for the same scrap and spec.

* Primary Hall-Heroult metal: 12-14 MWh/t [RUSAL2025] (industry statistics [IAI2024]); its
  electricity on the configured grid, and the world-average cradle-to-gate footprint
  14.8 t CO2e/t [RUSAL2025].
* Remelting with dilution: the scrap is remelted and diluted with primary metal until the
  blend meets the product specification. The primary share p is the largest of
  1 - limit_e / w_e over the specified elements e and 1 - (1 - Al_min) / sum(w) for the Al
  minimum [C], taking the primary metal as free of those elements [E] (a lower bound on p).
  Remelting takes 0.4-3.3 MWh/t of metal melted (theoretical 326 kWh/t at 10-80 % furnace
  efficiency [HeatTreat-nd]) and loses 2-2.5 % of the metal as dross [RMI2025]; its energy is
  natural gas at 70-90 m3/t plus 90-100 kWh/t electricity [RMI2025], gas burning at
  56.1 t CO2/TJ [IPCC2006] and 38 MJ/m3 [R].

Every figure is a (low, high) range; nothing here is fitted, and none of it feeds the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .units import kWh

HH_ENERGY = (12.0e3 * kWh / 1e3, 14.0e3 * kWh / 1e3)  # J/kg [RUSAL2025]
HH_WORLD_CO2E = 14.8  # kg CO2e / kg Al, cradle-to-gate world average [RUSAL2025]
REMELT_ENERGY = (0.4e3 * kWh / 1e3, 3.3e3 * kWh / 1e3)  # J per kg melted [HeatTreat-nd] [C]
REMELT_BURN_LOSS = (0.02, 0.025)  # kg lost per kg melted [RMI2025]
REMELT_GAS = (70.0, 90.0)  # m3 natural gas per t melted [RMI2025]
REMELT_ELECTRICITY = (90.0 * kWh / 1e3, 100.0 * kWh / 1e3)  # J/kg [RMI2025]
GAS_CO2 = 56.1e-6 * 38e6 / 1e3  # kg CO2 per m3: 56.1 t/TJ [IPCC2006] x 38 MJ/m3 [R]
SOURCES = ("RUSAL2025", "IAI2024", "HeatTreat-nd", "RMI2025", "IPCC2006")


@dataclass(frozen=True)
class Routes:
    """Per kg of product metal; ranges (low, high). Energies in J/kg, footprints in kg/kg."""

    primary_share: float  # kg of primary per kg of diluted remelt product
    binding: str  # the constraint that sets the primary share
    hh_energy: tuple
    hh_co2e_grid: tuple  # electricity only, configured grid
    hh_co2e_world: float
    remelt_energy: tuple  # remelt of the scrap share + Hall-Heroult of the primary share
    remelt_co2e_grid: tuple  # remelt fuel and electricity + primary on the grid (electricity)


def primary_share(scrap: dict, spec) -> tuple[float, str]:
    """Primary-metal share that brings remelted ``scrap`` (element -> mass fraction of the
    metal) within ``spec``; returns (share, binding constraint)."""
    best, why = 0.0, "scrap already within the specification"
    for element, limit in spec.max_fraction.items():
        w = scrap.get(element, 0.0)
        if w > limit and 1.0 - limit / w > best:
            best, why = 1.0 - limit / w, f"{element} {w * 100:.3g} wt% > {limit * 100:.3g} wt%"
    total = sum(scrap.values())
    allowed = 1.0 - spec.min_al_fraction
    if total > allowed and 1.0 - allowed / total > best:
        best, why = 1.0 - allowed / total, (f"Al {100 * (1 - total):.3g} wt% < "
                                            f"{spec.min_al_fraction * 100:.4g} wt%")
    return best, why


def compare(config) -> Routes:
    """The two routes for the scrap, specification and grid of ``config``."""
    p, why = primary_share(config.scrap.composition, config.product)
    ef = config.footprint.emission_factor  # kg/J
    hh = HH_ENERGY
    remelt = []
    co2 = []
    for i in (0, 1):
        melted = (1.0 - p) / (1.0 - REMELT_BURN_LOSS[i])  # kg scrap metal melted per kg product
        remelt.append(melted * REMELT_ENERGY[i] + p * hh[i])
        fuel = melted * (REMELT_GAS[i] * GAS_CO2 / 1e3 + REMELT_ELECTRICITY[i] * ef)
        co2.append(fuel + p * hh[i] * ef)
    return Routes(p, why, hh, (hh[0] * ef, hh[1] * ef), HH_WORLD_CO2E, tuple(remelt), tuple(co2))


def summary_rows(config, specific_energy: float, co2e: float) -> list[tuple[str, str, str]]:
    """Rows comparing this cell's figures with the two routes (kWh/t, t CO2e/t)."""
    r = compare(config)
    k = 1e3 / kWh  # J/kg -> kWh/t
    grid = config.footprint.grid
    rows = [
        ("route comparison (per t product)", "", "sources: " + ", ".join(f"[{s}]" for s in SOURCES)),
        ("  this cell", f"{specific_energy * k:.0f} kWh/t, {co2e:.2f}", f"t CO2e/t ({grid} grid)"),
        ("  primary Hall-Heroult", f"{r.hh_energy[0] * k:.0f}-{r.hh_energy[1] * k:.0f} kWh/t, "
         f"{r.hh_co2e_grid[0]:.1f}-{r.hh_co2e_grid[1]:.1f}",
         f"t CO2e/t (electricity, {grid} grid); world average {r.hh_co2e_world:g} t CO2e/t"),
        (f"  remelt + {r.primary_share * 100:.0f} % primary", f"{r.remelt_energy[0] * k:.0f}-"
         f"{r.remelt_energy[1] * k:.0f} kWh/t, {r.remelt_co2e_grid[0]:.1f}-{r.remelt_co2e_grid[1]:.1f}",
         f"t CO2e/t (primary share set by {r.binding})"),
    ]
    return rows


def write_routes(h5, config) -> None:
    """``/routes`` of a result file: the comparison above, with units, long names, sources."""
    import h5py
    import numpy as np

    r = compare(config)
    g = h5.create_group("routes")
    g.attrs.update({"sources": ", ".join(f"[{s}]" for s in SOURCES), "binding": r.binding,
                    "grid": config.footprint.grid})
    bound = g.create_dataset("bound", data=np.array(["low", "high"], dtype=object),
                             dtype=h5py.string_dtype())
    bound.attrs.update({"units": "1", "long_name": "low and high end of the range"})
    bound.make_scale("bound")
    for name, value, units, long_name in (
            ("hh_energy", r.hh_energy, "J/kg", "specific energy of primary Hall-Heroult metal"),
            ("hh_co2e_grid", r.hh_co2e_grid, "kg/kg",
             "CO2e of the Hall-Heroult electricity on the configured grid"),
            ("remelt_energy", r.remelt_energy, "J/kg",
             "energy of remelting the scrap diluted with primary metal to the specification"),
            ("remelt_co2e_grid", r.remelt_co2e_grid, "kg/kg",
             "CO2e of remelting with dilution (fuel, electricity on the grid, primary share)")):
        ds = g.create_dataset(name, data=np.asarray(value, dtype=float))
        ds.attrs.update({"units": units, "long_name": long_name})
        ds.dims[0].attach_scale(bound)
    for name, value, units, long_name in (
            ("primary_share", r.primary_share, "1",
             "primary metal per kg of product that brings the remelted scrap within the spec"),
            ("hh_co2e_world", r.hh_co2e_world, "kg/kg",
             "world-average cradle-to-gate CO2e of primary aluminium")):
        ds = g.create_dataset(name, data=float(value))
        ds.attrs.update({"units": units, "long_name": long_name})
