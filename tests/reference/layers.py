"""Hand computation of the z layer bounds of a pot from its configuration (remap tests)."""

import numpy as np


def layer_bounds(config, depths=((0.12, 0.06), (0.125, 0.09))):
    """(lo, hi) [m] of every z layer in the pots with the (alloy, cathode) depths of ``depths``
    (old, new), from the configuration's thicknesses; the lid stays where it was."""
    lin, col, geo = config.lining, config.collectors, config.geometry
    cavity = geo.anode_alloy_depth + geo.acd + geo.cathode_metal_depth + geo.freeboard
    out = []
    for alloy, cathode in depths:
        parts = ([L.thickness for L in lin.bottom] + [col.bottom_thickness, alloy, geo.acd, cathode,
                 cavity - alloy - geo.acd - cathode] + [L.thickness for L in lin.lid])
        out.append(np.concatenate(([0.0], np.cumsum(parts))))
    zo, zn = out
    return [(zo[i], zo[i + 1], zn[i], zn[i + 1]) for i in range(zo.size - 1)]


def remap_energy(grid, H, bounds):
    """The energy a linear per-layer stretch adds: each layer's content x (height ratio - 1)."""
    expected = 0.0
    for lo_o, hi_o, lo_n, hi_n in bounds:
        rows = (grid.centres(2) > lo_o) & (grid.centres(2) < hi_o)
        expected += np.sum((H * grid.volumes())[:, :, rows]) * ((hi_n - lo_n) / (hi_o - lo_o) - 1.0)
    return expected
