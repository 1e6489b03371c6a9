"""The uniform layered stack solved by the field solver (cross-check of the lumped model).

``stack_voltage_breakdown`` meshes a column of uniform horizontal layers of cross-section
``area`` (bottom collector, anode alloy, electrolyte, cathode metal, top collector), solves
it with cellsim.fields.current and returns the voltage breakdown. For uniform layers it
equals the series calculation R_layer = thickness / (sigma area), eta = eta(I / area).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cellsim.fields.current import CurrentSolver, Electrode, Kinetics, Terminal
from cellsim.fields.grid import Grid, Layer, _layer_faces, _regions

STACK_REGIONS = ("anode_collector", "anode_alloy", "electrolyte", "cathode_metal", "cathode_collector")


def stack_voltage_breakdown(layers: Sequence[tuple[str, float, float]], area: float, current: float,
                            anode: Kinetics, cathode: Kinetics, cells_per_layer: int = 4) -> dict[str, float]:
    """Voltage breakdown [V] of a uniform stack carrying ``current`` [A] over ``area`` [m2].

    layers : bottom to top (region name, thickness [m], sigma [S/m]); region names from
        STACK_REGIONS (the anode interface is anode_alloy|electrolyte, the cathode one
        electrolyte|cathode_metal).
    Returns the dict of cellsim.fields.current.voltage_breakdown: electrolyte_ohmic,
    anode_alloy_ohmic, cathode_metal_ohmic, collectors_ohmic, anode_overpotential,
    cathode_overpotential, terminal_voltage. Overpotentials are losses (>= 0).
    """
    spec = [Layer(name, thick, cells_per_layer) for name, thick, _ in layers]
    regions = _regions(spec)
    zf, lid = _layer_faces(spec)
    side = float(np.sqrt(area))
    material = np.array([regions[spec[i].name] for i in lid], dtype=np.int32)[None, None, :]
    grid = Grid("xyz", (np.array([0.0, side]), np.array([0.0, side]), zf), material, regions)
    sigma = np.array([layers[i][2] for i in lid], dtype=np.float64)[None, None, :]
    electrodes = [Electrode("anode", "anode_alloy", "electrolyte", anode),
                  Electrode("cathode", "cathode_metal", "electrolyte", cathode)]
    solver = CurrentSolver(grid, electrodes, Terminal("z-"), Terminal("z+"), solver="direct")
    sol = solver.solve(sigma, current)
    out = dict(sol.breakdown)
    out["cathode_overpotential"] = abs(out["cathode_overpotential"])
    return out
