"""The field model of a whole pot built from a ``Config`` (2D r-z for cylindrical pots).

``build_pot(config, resolution)`` returns a ``PotModel``: the grid with one region per
layer, the electrical conductivity (for cellsim.fields.current) and thermal properties
(for cellsim.fields.heat) per cell, the outer boundary conditions, the melt-to-wall films
and the loss groups of the heat balance (side, bottom, lid, collectors).

Regions, bottom to top: bottom lining layers (outside first), bottom_collector,
anode_alloy, electrolyte, cathode_metal, gas_space, lid layers (inside first); the side
lining layers surround the cavity from the bottom collector to the lid; the rods are one
central cylinder of the rods' total cross-section through the gas space and the lid.
The rods' length beyond the lid is a 1D conductance to the clamp temperature.

Property defaults not carried by the configuration (``PotOptions``), tags as in
physics-data.md ([R] recalled, [E] estimate):
* liquid layers conduct with k_eff = k_molecular + rho c_p D_t, D_t the layer's eddy
  diffusivity from the configuration (``eddy_diffusivity`` of [electrolyte], [anode_alloy],
  [cathode_metal]): the same mixing that the species field adds to the molecular
  diffusivity, so heat and impurities see one melt (docs/model.md, "Melt mixing"). The
  melt-to-wall coefficient of the configuration (lining.inside_heat_transfer) is a film on
  the melt|side-lining and alloy|collector faces;
* molecular conductivities: electrolyte 0.8 W/(m K) [E] (0.6-1.0 fluorides, physics-data
  2.1), Al 100 [C] (Wiedemann-Franz), Al-Cu alloy 70 [E], solid Al 210 [R];
* the gas space is a layer of conductivity h_gas x freeboard, so that it passes the
  configured gas-space coefficient (lining.gas_space_heat_transfer);
* rho c_p [J/(m3 K)]: steel 5.0e6 [R], insulating (vermiculite) 0.5e6 [E], other bricks
  2.0e6 [E], graphite 2.7e6 [E], rods 4.0e6 [E], alloy 3.04e6 [E] (3.2 g/cm3 x 0.95 J/(g K)),
  Al 2349 kg/m3 x JANAF cp (physics-data 2.2), gas 400 [E];
* melting: Al 933.45 K, 397 kJ/kg (JANAF); Al-33Cu eutectic 821 K, 350 kJ/kg [E];
  electrolyte liquidus and latent heat from the configuration, melting over
  ``mushy_range`` [E] below the liquidus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cellsim.config.schema import Config
from cellsim.fields.grid import Grid
from cellsim.fields.heat import Heater, HeatProperties, HeatSolver, SurfaceBC
from cellsim.thermo import AL_CP_LIQUID, AL_CP_SOLID_MEAN, AL_LATENT_HEAT, AL_MELTING_POINT

MELTS = ("anode_alloy", "electrolyte", "cathode_metal")
RESOLUTIONS = {"coarse": 0.5, "default": 1.0, "fine": 2.0}


@dataclass(frozen=True)
class PotOptions:
    """Numbers the configuration does not carry (see module docstring for sources)."""

    electrolyte_conductivity: float = 0.8
    al_conductivity: float = 100.0
    al_solid_conductivity: float = 210.0
    alloy_conductivity: float = 70.0
    alloy_density: float = 3200.0
    alloy_specific_heat: float = 950.0
    alloy_melting_point: float = 821.15
    alloy_latent_heat: float = 350e3
    al_density: float = 2349.0
    mushy_range: float = 2.0


@dataclass(frozen=True, eq=False)
class PotModel:
    """Field model of a pot: grid, per-cell properties and boundary data (SI).

    sigma : electrical conductivity [S/m] per cell (0 in the lining and gas space).
    heat : HeatProperties; bcs : side -> SurfaceBC; films : axis -> face film [W/(m2 K)];
    loss_groups : name -> (side, face mask); current_slice : index box of the cells the
    current flows in (bottom collector to the top of the rods).
    """

    grid: Grid
    sigma: np.ndarray
    heat: HeatProperties
    bcs: dict
    films: dict
    loss_groups: dict
    current_slice: tuple

    def heat_solver(self, solver: str = "auto") -> HeatSolver:
        return HeatSolver(self.grid, self.heat, self.bcs, self.films, self.loss_groups, solver)

    def heater(self, set_point: float, region: str = "anode_alloy", control: str = "electrolyte",
               max_power: float = np.inf) -> Heater:
        """Heater in ``region`` holding the mean temperature of ``control`` at set_point [K]."""
        return Heater(self.grid.region_mask(region), self.grid.region_mask(control), set_point, max_power)

    def current_grid(self) -> Grid:
        """The sub-grid of ``current_slice`` (for cellsim.fields.current)."""
        i, _, k = self.current_slice
        g = self.grid
        faces = (g.faces[0][i.start:i.stop + 1], g.faces[1], g.faces[2][k.start:k.stop + 1])
        return Grid(g.geometry, faces, g.material[self.current_slice], g.regions)

    def embed(self, sub: np.ndarray) -> np.ndarray:
        """A cell array of ``current_grid`` placed into the full grid (zeros elsewhere)."""
        out = np.zeros(self.grid.shape)
        out[self.current_slice] = sub
        return out

    def __repr__(self) -> str:
        return f"PotModel({self.grid!r})"


def _segments(parts, scale):
    """Faces [m] and segment index per cell for consecutive (name, thickness, n_cells)."""
    faces, ids = [0.0], []
    for i, (_, thick, n) in enumerate(parts):
        n = max(2, int(round(n * scale)))
        faces += list(faces[-1] + thick * np.arange(1, n + 1) / n)
        ids += [i] * n
    return np.array(faces), np.array(ids)


def _rho_cp(name: str) -> float:
    name = name.lower()
    if "steel" in name:
        return 5.0e6
    if "vermiculite" in name or "insulat" in name:
        return 0.5e6
    return 2.0e6


def build_pot(config: Config, resolution: str = "default", options: PotOptions = PotOptions()) -> PotModel:
    """Field model of the pot of ``config`` ("coarse", "default" or "fine" resolution)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {tuple(RESOLUTIONS)}, got {resolution!r}")
    if config.geometry.shape != "cylindrical":
        raise NotImplementedError("build_pot: rectangular (3D) pots are not built yet; "
                                  "use a cylindrical geometry")
    s = RESOLUTIONS[resolution]
    geo, lin, col, el, o = config.geometry, config.lining, config.collectors, config.electrolyte, options
    r_rod = math.sqrt(col.rod_count) * col.rod_diameter / 2
    if r_rod >= geo.inner_radius:
        raise ValueError("build_pot: the rods' total cross-section exceeds the cavity")
    z_parts = ([(f"bottom_{len(lin.bottom) - 1 - i}", L.thickness, 3) for i, L in enumerate(lin.bottom[::-1])]
               + [("bottom_collector", col.bottom_thickness, 6), ("anode_alloy", geo.anode_alloy_depth, 8),
                  ("electrolyte", geo.acd, 8), ("cathode_metal", geo.cathode_metal_depth, 6)]
               + ([("gas_space", geo.freeboard, 6)] if geo.freeboard > 0 else [])
               + [(f"lid_{i}", L.thickness, 3) for i, L in enumerate(lin.lid)])
    r_parts = ([("rods", r_rod, 4), ("cavity", geo.inner_radius - r_rod, 16)]
               + [(f"side_{i}", L.thickness, 3) for i, L in enumerate(lin.side)])
    zf, zid = _segments(z_parts, s)
    rf, rid = _segments(r_parts, s)
    znames = [p[0] for p in z_parts]
    rnames = [p[0] for p in r_parts]
    nb, nl = len(lin.bottom), len(lin.lid)
    names = np.empty((rid.size, zid.size), dtype=object)
    for i, ri in enumerate(rid):
        for k, zi in enumerate(zid):
            zn, rn = znames[zi], rnames[ri]
            if zn.startswith(("bottom_", "lid_")) and zn != "bottom_collector":
                names[i, k] = "rods" if (rn == "rods" and zn.startswith("lid_")) else zn
            elif rn.startswith("side_"):
                names[i, k] = rn
            elif zn == "gas_space" and rn == "rods":
                names[i, k] = "rods"
            else:
                names[i, k] = zn
    order = (["rods"] + znames[:nb] + ["bottom_collector"] + list(MELTS)
             + (["gas_space"] if geo.freeboard > 0 else []) + znames[-nl:] + rnames[2:])
    regions = {n: i for i, n in enumerate(order)}
    material = np.vectorize(regions.__getitem__, otypes=[np.int32])(names)[:, None, :]
    grid = Grid("rz", (rf, np.array([0.0, 2 * math.pi]), zf), material, regions)

    shape = grid.shape
    z = {key: np.zeros(len(order)) for key in ("ks", "kl", "cs", "cl", "ts", "tl", "lat", "sig")}

    def put(name, k, c, sigma=0.0, k_liq=None, c_liq=None, t_melt=0.0, latent=0.0, mushy=0.0):
        i = regions[name]
        z["ks"][i], z["kl"][i] = k, k if k_liq is None else k_liq
        z["cs"][i], z["cl"][i] = c, c if c_liq is None else c_liq
        z["ts"][i], z["tl"][i], z["lat"][i], z["sig"][i] = t_melt - mushy, t_melt, latent, sigma

    for i, L in enumerate(lin.bottom):
        put(f"bottom_{i}", L.thermal_conductivity, _rho_cp(L.name))
    for i, L in enumerate(lin.lid):
        put(f"lid_{i}", L.thermal_conductivity, _rho_cp(L.name))
    for i, L in enumerate(lin.side):
        put(f"side_{i}", L.thermal_conductivity, _rho_cp(L.name))
    put("bottom_collector", col.bottom_thermal_conductivity, 2.7e6, 1.0 / col.bottom_resistivity)
    put("rods", col.rod_thermal_conductivity, 4.0e6, 1.0 / col.rod_resistivity)
    if geo.freeboard > 0:
        put("gas_space", lin.gas_space_heat_transfer * geo.freeboard, 400.0)
    c_alloy = o.alloy_density * o.alloy_specific_heat
    c_salt = el.density * el.specific_heat
    c_al = o.al_density * AL_CP_LIQUID
    put("anode_alloy", o.alloy_conductivity, c_alloy, 1.0 / config.anode_alloy.resistivity,
        k_liq=o.alloy_conductivity + c_alloy * config.anode_alloy.eddy_diffusivity,
        t_melt=o.alloy_melting_point,
        latent=o.alloy_density * o.alloy_latent_heat, mushy=o.mushy_range)
    put("electrolyte", el.ledge_thermal_conductivity, c_salt, el.conductivity,
        k_liq=o.electrolyte_conductivity + c_salt * el.eddy_diffusivity, t_melt=el.liquidus, latent=el.density * el.latent_heat,
        mushy=o.mushy_range)
    put("cathode_metal", o.al_solid_conductivity, o.al_density * AL_CP_SOLID_MEAN,
        1.0 / config.cathode_metal.resistivity,
        k_liq=o.al_conductivity + c_al * config.cathode_metal.eddy_diffusivity, c_liq=c_al, t_melt=AL_MELTING_POINT,
        latent=o.al_density * AL_LATENT_HEAT, mushy=o.mushy_range)
    m = material
    heat = HeatProperties(*(z[key][m].reshape(shape) for key in ("ks", "kl", "cs", "cl", "ts", "tl", "lat")))
    sigma = z["sig"][m].reshape(shape)

    # films: melt | side lining (radial faces), alloy | collector (axial faces)
    melt_ids = [regions[n] for n in MELTS]
    film_r = np.zeros((shape[0] + 1,) + shape[1:])
    lo, hi = m[:-1], m[1:]
    film_r[1:-1][np.isin(lo, melt_ids) & (hi == regions["side_0"])] = lin.inside_heat_transfer
    film_z = np.zeros(shape[:2] + (shape[2] + 1,))
    lo, hi = m[:, :, :-1], m[:, :, 1:]
    film_z[:, :, 1:-1][(lo == regions["bottom_collector"]) & (hi == regions["anode_alloy"])] = lin.inside_heat_transfer

    surface = SurfaceBC(h=lin.outside_convection, value=lin.ambient_temperature,
                        emissivity=lin.shell_emissivity, ambient=lin.ambient_temperature)
    rods_top = (m[:, :, -1] == regions["rods"])
    outside = max(col.rod_length - geo.freeboard - sum(L.thickness for L in lin.lid), 0.01)
    top = SurfaceBC(h=np.where(rods_top, col.rod_thermal_conductivity / outside, lin.outside_convection),
                    value=np.where(rods_top, col.rod_cold_end_temperature, lin.ambient_temperature),
                    emissivity=np.where(rods_top, 0.0, lin.shell_emissivity), ambient=lin.ambient_temperature)
    bcs = {"r+": surface, "z-": surface, "z+": top}
    groups = {"side": ("r+", None), "bottom": ("z-", None), "lid": ("z+", ~rods_top),
              "collectors": ("z+", rods_top)}
    n_cav = int(np.sum(rid < 2))
    k0 = int(np.argmax(zid == znames.index("bottom_collector")))
    current = (slice(0, n_cav), slice(0, 1), slice(k0, shape[2]))
    return PotModel(grid, sigma, heat, bcs, {0: film_r, 2: film_z}, groups, current)
