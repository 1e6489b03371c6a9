"""The field model of a whole pot built from a ``Config``: 2D r-z or 3D (x, y, z).

``build_pot(config, resolution, geometry=None)`` returns a ``PotModel``: the grid with one
region per layer, the electrical conductivity (for cellsim.fields.current) and thermal
properties (for cellsim.fields.heat) per cell, the outer boundary conditions, the
melt-to-wall films and the loss groups of the heat balance (side, bottom, lid,
collectors). ``geometry`` "rz" (cylindrical pots only) or "xyz"; default "rz" for a
cylindrical pot and "xyz" for a rectangular one. Both geometries share one assembly of
properties, films, boundaries and loss groups (``_assemble``); only the layout differs.

Regions, bottom to top: bottom lining layers (outside first), bottom_collector,
anode_alloy, electrolyte, cathode_metal, gas_space, lid layers (inside first); the side
lining layers surround the cavity from the bottom collector to the lid; the bottom and lid
layers span the whole plan of the pot, side lining included. The rods pass through the gas
space and the lid; their length beyond the lid is a 1D conductance to the clamp
temperature.

Rods. r-z: one central cylinder of the rods' total cross-section. 3D: ``rod_count``
discrete rods on a regular nx x ny pattern (nx ny = rod_count, the factor pair whose pitch
is closest to square, more rods along x on a tie), rod centres at the centres of the nx x
ny equal cells of the cavity (rectangular) or of the square of the cavity's area centred
in it (cylindrical); each rod is a square of the rod's cross-section (side d sqrt(pi)/2),
its edges on grid faces, so its area is exact.

3D pots use their symmetry: the pattern is symmetric about both centre planes, so the
grid holds the quarter x >= 0, y >= 0 with insulated symmetry planes x- and y- and
``multiplicity`` 4 (cellsim.fields.grid: volumes, areas, currents and powers are the whole
pot's). A rod on a centre plane (odd count along that axis) is cut in half by it.

Rectangular pots: the side lining follows the walls (cells beyond L/2 or W/2, the layer by
the distance to the cavity, square corners) and the outer shell is the box sides x+ and y+.
Cylindrical pots in 3D are a staircase: a column belongs to the cavity, the side lining or
the outside by the majority of 8 x 8 samples of its plan; a side-lining column takes the
series (harmonic) mix of the layers its samples fall in as its conductivity (heat crosses
the lining radially, so this keeps each column's radial resistance) and the volume mix of
rho c, its region is the majority layer. Along z the layers of a column conduct in
parallel: its z faces take the samples' area mix of the conductivities
(``HeatProperties.k_z_factor``), each layer's scaled by its annulus area over its area
sampled in the side columns, so the side lining conducts vertically as the cylinder's layers
do on any grid (the series mix along z had cut the steel shell's vertical conduction to ~half
at the default grid; docs/speed.md, grid convergence). The outside is an ``ambient`` region of
conductivity AMBIENT_CONDUCTIVITY [numerical] held at the ambient temperature by its box
faces; the shell surface is a film on the shell|ambient faces of coefficient h_out +
h_rad, h_rad = eps sigma (Ts^4 - Ta^4) / (Ts - Ta) the radiation secant at
``PotOptions.surface_temperature`` (scalar, [E] 330 K unless set; the 3D campaign model
sets it from the field at every rebuild). The staircase faces of the shell and the
melt-to-wall films are scaled by 1 / (|cos t| + |sin t|) at their polar angle t, so that
the projected x and y faces add up to the cylinder's area. The staircase cavity's plan
area differs from pi R^2 by a fraction of a column (rusal-3kA at the default 3 cm: +0.63 %;
coarse -0.08 %, fine +0.10 %, not monotonic), which moved the electrolyte's ohmic drop by as
much: the cells of the cavity columns carry ``plan_factor`` = pi R^2 / (staircase cavity
area) (gas space: the same for the cavity less the rods, whose squares are exact), by which
their conductivities, heat capacities and latent heat are multiplied (and the field's
electrolyte conductivity, cellsim.fields.axisymmetric), so each cavity layer conducts
vertically and stores heat as the cylinder does. The outer plan of the staircase (bottom
and lid) keeps its error (+0.35 % at the default grid, first order).

The builder is a pipeline of three stages, each a function of the configuration:
``_mesh_rz``/``_mesh_xyz`` (the layout: grid, regions, current box, rods, the staircase's
lining samples) -> ``pot_materials`` (per-cell heat properties and electrical conductivity)
-> ``pot_boundaries`` (outer boundary conditions, films, loss groups). The diagnostics read
from the heat field (losses by face, ledge thickness, shell temperature) are in
cellsim.fields.heat_diagnostics.

Material numbers come from the configuration, none from this module: the lining layers'
conductivities from [lining], their heat capacities from the solid each layer names
(``material``) in [materials] (configs/materials/pot.toml, each number with its source),
the collectors' solids, the gas space, the melts' molecular conductivities, the anode
alloy's density, heat capacity, melting point and latent heat and the melting range from
[materials]; the cathode metal's heat capacity and latent heat are JANAF's
(cellsim.thermo). Liquid layers conduct with k_eff = k_molecular + rho c_p D_t, D_t the
layer's eddy diffusivity from the configuration (``eddy_diffusivity`` of [electrolyte],
[anode_alloy], [cathode_metal]): the same mixing that the species field adds to the
molecular diffusivity, so heat and impurities see one melt (docs/model.md, "Melt mixing").
The melt-to-wall coefficient of the configuration (lining.inside_heat_transfer) is a film
on the melt|side-lining and alloy|collector faces; the gas space is a layer of
conductivity h_gas x freeboard, so that it passes the configured gas-space coefficient
(lining.gas_space_heat_transfer); the electrolyte melts over materials.melting.mushy_range
below its configured liquidus, with its configured latent heat.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from cellsim.config.schema import Config
from cellsim.fields.grid import Grid
from cellsim.fields.heat import NEWTON_RTOL, Heater, HeatProperties, HeatSolver, SurfaceBC
from cellsim.fields.memo import BoundedMemo
from cellsim.thermo import AL_CP_LIQUID, AL_CP_SOLID_MEAN, AL_LATENT_HEAT, AL_MELTING_POINT
from cellsim.units import STEFAN_BOLTZMANN

MELTS = ("anode_alloy", "electrolyte", "cathode_metal")
RESOLUTIONS = {"coarse": 0.5, "default": 1.0, "fine": 2.0}
GEOMETRIES = ("rz", "xyz")
CELL_3D = 0.03  # m, plan cell size of the 3D cavity at resolution "default" [numerical]
# The r-z mesh is graded (issue 17; docs/speed.md, grid convergence): the heat losses
# converge at order ~1.3 only, because of the singular heat flux at the material corners of
# the lining, the collector block and the rods, and the error is spread over every solid
# layer. Each layer gets cells by its thickness and clusters them towards both of its faces
# (where its corners lie); the melts, nearly isothermal under their eddy conductivity, get
# few. [numerical], chosen by the grid study:
# * LINING_CELL_RZ: target mean cell width [m] across a lining layer: 2 ceil(t / 2 h) cells,
#   at least 2 (the 1 cm steel shell: 2), at most LINING_CELLS_MAX_RZ (a design's 30 cm
#   side layer: 12 cells, heater -1.07 % vs its 2x grid against -0.94 % with 20 cells, 13 %
#   fewer cells in all: the cost of thick-lining designs stays bounded);
# * CELLS_RZ: cells across the other r-z parts at resolution "default";
# * GRADING_RZ: ratio of the middle (largest) to the end cells of a part, geometric growth
#   from each face towards the middle (1: uniform).
# "fine" splits every cell of "default" in two in each direction, "coarse" merges pairs.
LINING_CELL_RZ = 0.016
LINING_CELLS_MAX_RZ = 12
CELLS_RZ = {"rods": 8, "cavity": 16, "bottom_collector": 10, "anode_alloy": 4, "electrolyte": 8,
            "cathode_metal": 4, "gas_space": 10}
GRADING_RZ = {"lining": 2.5, "bottom_collector": 2.5, "gas_space": 2.5, "rods": 4.0, "cavity": 2.0}
# Diagnostic only, empty in every run: part name -> whole splits of that graded (r-z) part on
# top of the resolution's, so that one part at a time can be refined
# (benchmarks/grid_convergence.py --parts, the heater's grid error by part; docs/speed.md).
PART_SPLIT = {}
# 3D: cells across each lining layer (bottom, lid) at resolution "default", uniform layers.
LINING_CELLS = {"xyz": 3}
AMBIENT_CONDUCTIVITY = 1e5  # W/(m K), the outside region of a 3D cylinder [numerical]
AMBIENT_RHO_CP = 1e3  # J/(m3 K), same [numerical]


@dataclass(frozen=True)
class PotOptions:
    """Build options that are state, not material: the shell temperature [K] at which a 3D
    cylinder's radiation film is linearised ([E] 330 K until the 3D model sets it from the
    field at every rebuild)."""

    surface_temperature: float = 330.0


@dataclass(frozen=True, eq=False)
class PotLayout:
    """The mesh stage: grid with one region per layer, the index box of the current-carrying
    cells, the outer side walls, cavity perimeter [m], rods' plan rectangles [m] (3D), and for
    a staircase cylinder the lining samples per side-lining column ((i, j) -> counts per
    side layer, of ``samples`` samples)."""

    grid: Grid
    current: tuple
    walls: tuple
    perimeter: float = 0.0
    rods: tuple = ()
    lining_samples: dict | None = None
    samples: int = 0
    staircase: bool = False
    plan_factor: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class PotModel:
    """Field model of a pot: grid, per-cell properties and boundary data (SI).

    sigma : electrical conductivity [S/m] per cell (0 in the lining and gas space).
    heat : HeatProperties; bcs : side -> SurfaceBC; films : axis -> face film [W/(m2 K)];
    loss_groups : name -> (side, face mask); a name "face@side" adds to ``face``
    (cellsim.fields.heat_diagnostics.face_losses); current_slice : index box of the cells the current flows in (bottom
    collector to the top of the rods);
    perimeter : cavity perimeter [m] (3D ledge thickness); rods : plan rectangles of the
    rods in the grid [m] ((x0, x1), (y0, y1)), 3D only; plan_factor : cell array, the true
    over the staircase plan area of the cavity columns of a 3D cylinder (1 elsewhere; None
    for r-z and rectangular pots), already in ``sigma`` and ``heat``.
    """

    grid: Grid
    sigma: np.ndarray
    heat: HeatProperties
    bcs: dict
    films: dict
    loss_groups: dict
    current_slice: tuple
    perimeter: float = 0.0
    rods: tuple = ()
    outer_side_area: float = 0.0
    emissivity: float = 0.0
    convection: float = 0.0
    ambient: float = 0.0
    plan_factor: np.ndarray | None = None

    def heat_solver(self, solver: str = "auto", rtol: float = NEWTON_RTOL) -> HeatSolver:
        """The heat solver of this pot (``rtol``: its Newton test, numerics.heat_tolerance)."""
        return HeatSolver(self.grid, self.heat, self.bcs, self.films, self.loss_groups, solver, rtol=rtol)

    def heater(self, set_point: float, region: str = "anode_alloy", control: str = "electrolyte",
               max_power: float = np.inf) -> Heater:
        """Heater in ``region`` holding the mean temperature of ``control`` at set_point [K]."""
        return Heater(self.grid.region_mask(region), self.grid.region_mask(control), set_point, max_power)

    def current_grid(self) -> Grid:
        """The sub-grid of ``current_slice`` (for cellsim.fields.current)."""
        i, j, k = self.current_slice
        g = self.grid
        faces = (g.faces[0][i.start:i.stop + 1], g.faces[1][j.start:j.stop + 1],
                 g.faces[2][k.start:k.stop + 1])
        return g.with_material(faces, g.material[self.current_slice])

    def embed(self, sub: np.ndarray) -> np.ndarray:
        """A cell array of ``current_grid`` placed into the full grid (zeros elsewhere)."""
        out = np.zeros(self.grid.shape)
        out[self.current_slice] = sub
        return out

    def __repr__(self) -> str:
        return f"PotModel({self.grid!r})"


def _segments(parts, scale):
    """Faces [m] and segment index per cell for consecutive parts (name, thickness, n_cells
    at scale 1[, grading]). A part without grading (3D) has max(2, round(n scale)) equal
    cells. A part with one (r-z) has n cells at scale 1 whose widths grow geometrically from
    each face towards the middle, the middle cell ``grading`` times the end cells (1:
    uniform); at an integer scale m every one of them is split into m equal cells, at scale
    1/m (coarse) m neighbours are merged (n must be a multiple of m); a graded part named in
    PART_SPLIT (diagnostic) is split that many times more."""
    faces, ids = [0.0], []
    for i, part in enumerate(parts):
        name, thick, n = part[:3]
        x0 = faces[-1]
        if len(part) == 3:
            n = max(2, int(round(n * scale)))
            new = list(x0 + thick * np.arange(1, n + 1) / n)
        else:
            f = _graded_scaled(n, part[3], scale * PART_SPLIT[name] if name in PART_SPLIT else scale)
            n = f.size - 1
            new = list(x0 + thick * f[1:])
            new[-1] = x0 + thick
        faces += new
        ids += [i] * n
    return np.array(faces), np.array(ids)


@functools.lru_cache(maxsize=64)
def _graded_scaled(n: int, ratio: float, scale: float) -> np.ndarray:
    """The faces on [0, 1] of a graded part of n cells at scale 1 (``_graded_unit``) at
    ``scale`` (``_segments``); cached: a remesh asks for the same parts again, only their
    thicknesses change. Read-only."""
    f = _graded_unit(n, ratio)
    if scale >= 1.0:
        m = int(round(scale))
        if abs(m - scale) > 1e-12:
            raise ValueError(f"a graded mesh refines by whole splits, not by {scale!r}")
        f = np.concatenate(([0.0], (f[:-1, None] + np.diff(f)[:, None] * np.arange(1, m + 1) / m).ravel()))
    else:
        m = int(round(1.0 / scale))
        if abs(m * scale - 1.0) > 1e-12 or n % m:
            raise ValueError(f"a graded part of {n} cells cannot be coarsened by {scale!r}")
        f = f[::m].copy()
    f.flags.writeable = False
    return f


@functools.lru_cache(maxsize=64)
def _graded_unit(n: int, ratio: float) -> np.ndarray:
    """n + 1 faces on [0, 1]: widths growing geometrically from both ends to the middle, the
    largest ``ratio`` times the end ones (symmetric); cached (every remesh asks for the same
    few), read-only."""
    half = (n - 1) // 2
    q = ratio ** (1.0 / half) if half > 0 else 1.0
    w = q ** np.minimum(np.arange(n), n - 1 - np.arange(n))
    f = np.concatenate(([0.0], np.cumsum(w))) / w.sum()
    f[-1] = 1.0
    f.flags.writeable = False
    return f


def _lining_cells_rz(thickness: float) -> int:
    """Cells across an r-z lining layer at scale 1 (even, 2 to LINING_CELLS_MAX_RZ)."""
    return min(LINING_CELLS_MAX_RZ, max(2, 2 * math.ceil(thickness / (2 * LINING_CELL_RZ) - 1e-9)))


def _z_parts(config: Config, geometry: str) -> list:
    """(name, thickness [m], cells at scale 1[, grading]) of the horizontal layers, bottom to
    top: r-z graded (LINING_CELL_RZ, CELLS_RZ, GRADING_RZ), 3D uniform with
    LINING_CELLS["xyz"] across each bottom and lid layer."""
    geo, lin, col = config.geometry, config.lining, config.collectors
    inner = [("bottom_collector", col.bottom_thickness), ("anode_alloy", geo.anode_alloy_depth),
             ("electrolyte", geo.acd), ("cathode_metal", geo.cathode_metal_depth)]
    if geo.freeboard > 0:
        inner.append(("gas_space", geo.freeboard))
    bottom = [(f"bottom_{len(lin.bottom) - 1 - i}", L.thickness) for i, L in enumerate(lin.bottom[::-1])]
    lid = [(f"lid_{i}", L.thickness) for i, L in enumerate(lin.lid)]
    if geometry == "rz":
        g = GRADING_RZ["lining"]
        return ([(nm, t, _lining_cells_rz(t), g) for nm, t in bottom]
                + [(nm, t, CELLS_RZ[nm], GRADING_RZ.get(nm, 1.0)) for nm, t in inner]
                + [(nm, t, _lining_cells_rz(t), g) for nm, t in lid])
    n = LINING_CELLS["xyz"]
    cells = {"bottom_collector": 6, "anode_alloy": 8, "electrolyte": 8, "cathode_metal": 6, "gas_space": 6}
    return ([(nm, t, n) for nm, t in bottom] + [(nm, t, cells[nm]) for nm, t in inner]
            + [(nm, t, n) for nm, t in lid])


def rz_part_names(config: Config) -> tuple[list, list]:
    """Names of the graded parts of the r-z mesh of ``config`` (the keys PART_SPLIT takes):
    (along r from the axis, along z from the bottom)."""
    return (["rods", "cavity"] + [f"side_{i}" for i in range(len(config.lining.side))],
            [p[0] for p in _z_parts(config, "rz")])


def _region_order(config: Config, z_parts: list, extra=()) -> list:
    lin = config.lining
    znames = [p[0] for p in z_parts]
    nb, nl = len(lin.bottom), len(lin.lid)
    return (["rods"] + znames[:nb] + ["bottom_collector"] + list(MELTS)
            + (["gas_space"] if config.geometry.freeboard > 0 else []) + znames[-nl:]
            + [f"side_{i}" for i in range(len(lin.side))] + list(extra))


@functools.lru_cache(maxsize=1024)
def _column_name(zn: str, column: str) -> str:
    """Region of a cell from its z layer and its plan column ("rods", "cavity", "side_i",
    "ambient"): bottom and lid layers span the plan (rods pierce the lid), the side lining
    spans the collector to the lid, the rods the gas space and the lid. Cached: a pure
    function of two names, asked again at every remesh."""
    if column == "ambient":
        return "ambient"
    if zn.startswith(("bottom_", "lid_")) and zn != "bottom_collector":
        return "rods" if (column == "rods" and zn.startswith("lid_")) else zn
    if column.startswith("side_"):
        return column
    if zn == "gas_space" and column == "rods":
        return "rods"
    return zn


def _region_table(config: Config, regions: dict) -> dict:
    """Per-region property arrays (index = region id): ks, kl, cs, cl, ts, tl, lat, sig."""
    geo, lin, col, el, mat = (config.geometry, config.lining, config.collectors, config.electrolyte,
                              config.materials)
    alloy, al, mushy = mat.anode_alloy, mat.aluminium, mat.melting.mushy_range
    z = {key: np.zeros(len(regions)) for key in ("ks", "kl", "cs", "cl", "ts", "tl", "lat", "sig")}

    def put(name, k, c, sigma=0.0, k_liq=None, c_liq=None, t_melt=0.0, latent=0.0, mushy=0.0):
        i = regions[name]
        z["ks"][i], z["kl"][i] = k, k if k_liq is None else k_liq
        z["cs"][i], z["cl"][i] = c, c if c_liq is None else c_liq
        z["ts"][i], z["tl"][i], z["lat"][i], z["sig"][i] = t_melt - mushy, t_melt, latent, sigma

    for part in ("bottom", "lid", "side"):
        for i, L in enumerate(getattr(lin, part)):
            put(f"{part}_{i}", L.thermal_conductivity, mat.solid(L.material).volumetric_heat_capacity)
    put("bottom_collector", col.bottom_thermal_conductivity,
        mat.solid(mat.collectors.bottom_block).volumetric_heat_capacity, 1.0 / col.bottom_resistivity)
    put("rods", col.rod_thermal_conductivity, mat.solid(mat.collectors.rods).volumetric_heat_capacity,
        1.0 / col.rod_resistivity)
    if geo.freeboard > 0:
        put("gas_space", lin.gas_space_heat_transfer * geo.freeboard, mat.gas_space.volumetric_heat_capacity)
    if "ambient" in regions:
        put("ambient", AMBIENT_CONDUCTIVITY, AMBIENT_RHO_CP)
    c_alloy = alloy.density * alloy.specific_heat
    c_salt = el.density * el.specific_heat
    c_al = al.density * AL_CP_LIQUID
    put("anode_alloy", alloy.thermal_conductivity, c_alloy, 1.0 / config.anode_alloy.resistivity,
        k_liq=alloy.thermal_conductivity + c_alloy * config.anode_alloy.eddy_diffusivity,
        t_melt=alloy.melting_point, latent=alloy.density * alloy.latent_heat, mushy=mushy)
    put("electrolyte", el.ledge_thermal_conductivity, c_salt, el.conductivity,
        k_liq=mat.electrolyte.thermal_conductivity + c_salt * el.eddy_diffusivity, t_melt=el.liquidus,
        latent=el.density * el.latent_heat, mushy=mushy)
    put("cathode_metal", al.solid_thermal_conductivity, al.density * AL_CP_SOLID_MEAN,
        1.0 / config.cathode_metal.resistivity,
        k_liq=al.liquid_thermal_conductivity + c_al * config.cathode_metal.eddy_diffusivity, c_liq=c_al,
        t_melt=AL_MELTING_POINT, latent=al.density * AL_LATENT_HEAT, mushy=mushy)
    return z


def outside_rod_length(config: Config) -> float:
    """Length [m] of the rods beyond the lid (a 1D conductor to the clamp, outside the field)."""
    col, geo, lin = config.collectors, config.geometry, config.lining
    return max(col.rod_length - geo.freeboard - sum(L.thickness for L in lin.lid), 0.01)


def build_pot(config: Config, resolution: str = "default", options: PotOptions = PotOptions(),
              geometry: str | None = None) -> PotModel:
    """Field model of the pot of ``config`` ("coarse", "default" or "fine" resolution) in
    ``geometry`` "rz" or "xyz" (None: "rz" for cylindrical pots, "xyz" for rectangular)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {tuple(RESOLUTIONS)}, got {resolution!r}")
    shape = config.geometry.shape
    if geometry is None:
        geometry = "rz" if shape == "cylindrical" else "xyz"
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry must be one of {GEOMETRIES}, got {geometry!r}")
    if geometry == "rz" and shape != "cylindrical":
        raise ValueError(f"build_pot: an r-z pot must be cylindrical (geometry.shape = {shape!r}); "
                         "use geometry 'xyz'")
    s = RESOLUTIONS[resolution]
    layout = _mesh_rz(config, s) if geometry == "rz" else _mesh_xyz(config, s)
    heat, sigma = pot_materials(config, layout)
    bcs, films, groups, outer_side_area = pot_boundaries(config, layout, options)
    lin = config.lining
    return PotModel(layout.grid, sigma, heat, bcs, films, groups, layout.current, layout.perimeter,
                    layout.rods, outer_side_area, lin.shell_emissivity, lin.outside_convection,
                    lin.ambient_temperature, layout.plan_factor)


# ---------------------------------------------------------------------------------- r-z
def _mesh_rz(config: Config, s: float) -> PotLayout:
    geo, lin, col = config.geometry, config.lining, config.collectors
    r_rod = math.sqrt(col.rod_count) * col.rod_diameter / 2
    if r_rod >= geo.inner_radius:
        raise ValueError("build_pot: the rods' total cross-section exceeds the cavity")
    z_parts = _z_parts(config, "rz")
    g = GRADING_RZ
    r_parts = ([("rods", r_rod, CELLS_RZ["rods"], g["rods"]),
                ("cavity", geo.inner_radius - r_rod, CELLS_RZ["cavity"], g["cavity"])]
               + [(f"side_{i}", L.thickness, _lining_cells_rz(L.thickness), g["lining"])
                  for i, L in enumerate(lin.side)])
    plan = _rz_plan(config, z_parts, r_parts, s)
    zf = _part_faces(z_parts, plan.z_units)
    rf = _part_faces(r_parts, plan.r_units)
    # the plan's material map copied: a grid owns its map
    grid = Grid("rz", (rf, np.array([0.0, 2 * math.pi]), zf), plan.material.copy(), dict(plan.regions))
    return PotLayout(grid, plan.current, walls=("r+",))


@dataclass(frozen=True)
class _RzPlan:
    """What an r-z mesh takes from its parts' names, cell counts and grading only (not their
    thicknesses): each part's unit faces (``_graded_scaled``), the regions, the material map
    and the current box's slices. Shared by the remeshes of a run (read-only)."""
    z_units: tuple
    r_units: tuple
    regions: dict
    material: np.ndarray
    current: tuple


def _rz_plan(config: Config, z_parts: list, r_parts: list, s: float) -> _RzPlan:
    """The plan of an r-z mesh (``_RzPlan``), kept per parts' names, cell counts, grading,
    scale and PART_SPLIT (``_RZ_PLANS``, bounded): a remesh moves the layers' thicknesses only,
    so every remesh of a run gets the same plan."""
    key = (tuple((p[0], p[2], p[3]) for p in z_parts), tuple((p[0], p[2], p[3]) for p in r_parts), s,
           tuple(PART_SPLIT.items()))
    plan = _RZ_PLANS.get(key)
    if plan is None:
        zf, zid = _segments(z_parts, s)
        rf, rid = _segments(r_parts, s)
        znames = [p[0] for p in z_parts]
        rnames = [p[0] for p in r_parts]
        regions = {n: i for i, n in enumerate(_region_order(config, z_parts))}
        # region id of each (r part, z part) pair, then per cell by the parts' indices
        by_part = np.array([[regions[_column_name(zn, rn)] for zn in znames] for rn in rnames], dtype=np.int32)
        material = np.ascontiguousarray(by_part[np.ix_(rid, zid)][:, None, :])
        material.flags.writeable = False
        n_cav = int(np.sum(rid < 2))
        k0 = int(np.argmax(zid == znames.index("bottom_collector")))
        current = (slice(0, n_cav), slice(0, 1), slice(k0, zf.size - 1))
        plan = _RzPlan(tuple(_unit_faces(p, s) for p in z_parts), tuple(_unit_faces(p, s) for p in r_parts),
                       regions, material, current)
        _RZ_PLANS.put(key, plan)
    return plan


# r-z meshes: (parts' names, cell counts, grading; scale; PART_SPLIT) -> _RzPlan (``_rz_plan``)
_RZ_PLANS = BoundedMemo(16)


def _unit_faces(part, scale: float) -> np.ndarray:
    """The faces on [0, 1] of a graded part (name, thickness, n, grading) at ``scale``, as
    ``_segments`` takes them (PART_SPLIT included)."""
    name, _, n, grading = part
    return _graded_scaled(n, grading, scale * PART_SPLIT[name] if name in PART_SPLIT else scale)


def _part_faces(parts, units) -> np.ndarray:
    """Faces [m] of consecutive graded parts from their unit faces: ``_segments``' faces, each
    one the same operations on the same numbers (x0 + thickness f, the part's last face
    x0 + thickness), into one array instead of a list."""
    out = np.empty(1 + sum(f.size - 1 for f in units))
    out[0] = x0 = 0.0
    k = 1
    for part, f in zip(parts, units):
        thick = part[1]
        n = f.size - 1
        seg = out[k:k + n]
        np.multiply(thick, f[1:], out=seg)
        seg += x0
        seg[-1] = x0 = x0 + thick
        k += n
    return out


# ---------------------------------------------------------------------------------- 3D
def rod_pattern(count: int, lx: float, ly: float) -> tuple[int, int]:
    """(nx, ny), nx ny = count, pitch lx/nx by ly/ny closest to square (more along x on a tie)."""
    pairs = [(nx, count // nx) for nx in range(1, count + 1) if count % nx == 0]
    return min(pairs, key=lambda p: (round(abs(math.log((lx / p[0]) / (ly / p[1]))), 12), -p[0]))


def _fill(breaks, h: float) -> np.ndarray:
    """Faces [m] through the sorted break points, each gap cut in cells of at most h."""
    b = [breaks[0]]
    for x in breaks[1:]:
        if x - b[-1] > 1e-4:
            b.append(x)
    faces = [b[0]]
    for lo, hi in zip(b[:-1], b[1:]):
        n = max(1, int(math.ceil((hi - lo) / h - 1e-9)))
        faces += list(lo + (hi - lo) * np.arange(1, n + 1) / n)
    return np.array(faces)


def _rod_intervals(n: int, extent: float, half_side: float) -> list:
    """Plan intervals [m] of the rods along one axis in the quarter (x >= 0)."""
    out = []
    for i in range(n):
        c = (i + 0.5) * extent / n - extent / 2
        if c > -1e-12:
            out.append((max(c - half_side, 0.0), c + half_side))
    return out


@functools.lru_cache(maxsize=8)
def _plan_xyz(cyl: bool, inner_radius, inner_length, inner_width, side: tuple, rod_count: int,
              rod_diameter: float, s: float):
    """The plan of a 3D pot (``_mesh_xyz``): x and y faces [m], the rods' plan intervals, each
    plan column's kind ("rods", "cavity", "side_<layer>" or "ambient") and, for a staircase
    cylinder, the lining samples of its side columns; cached (callers copy what they change)."""
    if cyl:
        hx = hy = inner_radius  # half extents of the cavity
        lx = ly = inner_radius * math.sqrt(math.pi)  # rod pattern over the equal-area square
    else:
        hx, hy = inner_length / 2, inner_width / 2
        lx, ly = inner_length, inner_width
    t_side = np.cumsum(side)
    nx, ny = rod_pattern(rod_count, lx, ly)
    a = rod_diameter * math.sqrt(math.pi) / 4  # half side of the equal-area square rod
    if min(lx / nx, ly / ny) <= 2 * a:
        raise ValueError(f"build_pot: {rod_count} rods of {rod_diameter} m on a {nx} x {ny} "
                         "pattern overlap")
    rx, ry = _rod_intervals(nx, lx, a), _rod_intervals(ny, ly, a)
    h = CELL_3D / s
    if cyl:
        outer = inner_radius + t_side[-1]
        xf = _fill(sorted({0.0, hx, outer, *[v for r in rx for v in r]}), h)
        yf = _fill(sorted({0.0, hy, outer, *[v for r in ry for v in r]}), h)
    else:
        wall = _fill([0.0, *t_side], h)  # layer faces exact, cells of at most h
        xf = np.concatenate((_fill(sorted({0.0, hx, *[v for r in rx for v in r]}), h)[:-1], hx + wall))
        yf = np.concatenate((_fill(sorted({0.0, hy, *[v for r in ry for v in r]}), h)[:-1], hy + wall))
    xc, yc = 0.5 * (xf[1:] + xf[:-1]), 0.5 * (yf[1:] + yf[:-1])
    inside = [(lo < xc[:, None]) & (xc[:, None] < hi) for lo, hi in rx]
    in_rod_x = np.any(inside, axis=0)[:, 0] if inside else np.zeros(xc.size, bool)
    inside = [(lo < yc) & (yc < hi) for lo, hi in ry]
    in_rod_y = np.any(inside, axis=0) if inside else np.zeros(yc.size, bool)
    rods = tuple((rxi, ryj) for rxi in rx for ryj in ry)
    if cyl:
        far = max(math.hypot(x1, y1) for (x0, x1), (y0, y1) in rods)
        if far >= inner_radius:
            raise ValueError("build_pot: the rod pattern does not fit in the cylindrical cavity")

    # plan columns: rods, cavity, side_i or ambient; per-column lining samples (cylinder)
    column = np.empty((xc.size, yc.size), dtype=object)
    samples = {}
    sub = (np.arange(8) + 0.5) / 8
    for i in range(xc.size):
        for j in range(yc.size):
            if in_rod_x[i] and in_rod_y[j]:
                column[i, j] = "rods"
                continue
            if not cyl:
                d = max(xc[i] - hx, yc[j] - hy)
                column[i, j] = "cavity" if d < 0 else f"side_{int(np.searchsorted(t_side, d))}"
                continue
            X = xf[i] + sub[:, None] * (xf[i + 1] - xf[i])
            Y = yf[j] + sub[None, :] * (yf[j + 1] - yf[j])
            d = (np.hypot(X, Y) - inner_radius).ravel()
            layer = np.searchsorted(t_side, d, side="right")  # 0..n-1 lining, n outside
            cavity, outside = np.mean(d < 0), np.mean(layer >= t_side.size)
            if outside > 0.5:
                column[i, j] = "ambient"
            elif cavity > 0.5:
                column[i, j] = "cavity"
            else:
                lining = layer[(d >= 0) & (layer < t_side.size)]
                counts = np.bincount(lining, minlength=t_side.size)
                counts.setflags(write=False)  # cached: shared by every layout of this plan
                column[i, j] = f"side_{int(np.argmax(counts))}"
                samples[i, j] = counts
    return xf, yf, rods, column, samples, sub


def _mesh_xyz(config: Config, s: float) -> PotLayout:
    geo, lin, col = config.geometry, config.lining, config.collectors
    cyl = geo.shape == "cylindrical"
    # the plan (faces, rods, each column's kind and lining samples) depends on the plan
    # geometry only, not on the layers' depths: a remesh (the layers moved) reuses it
    plan = _plan_xyz(cyl, geo.inner_radius if cyl else None, None if cyl else geo.inner_length,
                     None if cyl else geo.inner_width, tuple(L.thickness for L in lin.side), col.rod_count,
                     col.rod_diameter, s)
    xf, yf, rods, column, samples, sub = plan
    xf, yf, column = xf.copy(), yf.copy(), column.copy()
    samples = dict(samples)  # the cached counts are read-only (_plan_xyz)
    xc, yc = 0.5 * (xf[1:] + xf[:-1]), 0.5 * (yf[1:] + yf[:-1])
    z_parts = _z_parts(config, "xyz")
    zf, zid = _segments(z_parts, s)
    znames = [p[0] for p in z_parts]
    regions = {n: i for i, n in enumerate(_region_order(config, z_parts, ["ambient"] if cyl else []))}
    material = np.empty((xc.size, yc.size, zid.size), dtype=np.int32)
    for key in set(column.ravel()):  # every column of a kind at once (a few kinds)
        material[column == key] = [regions[_column_name(znames[zi], key)] for zi in zid]
    grid = Grid("xyz", (xf, yf, zf), material, regions, multiplicity=4.0)
    cav = np.array([[c in ("rods", "cavity") for c in row] for row in column])
    k0 = int(np.argmax(zid == znames.index("bottom_collector")))
    current = (slice(0, int(np.nonzero(cav.any(axis=1))[0][-1]) + 1),
               slice(0, int(np.nonzero(cav.any(axis=0))[0][-1]) + 1), slice(k0, grid.shape[2]))
    perimeter = 2 * math.pi * geo.inner_radius if cyl else 2 * (geo.inner_length + geo.inner_width)
    plan_factor = _plan_factor(grid, column, geo.inner_radius) if cyl else None
    return PotLayout(grid, current, walls=("x+", "y+"), perimeter=perimeter, rods=rods,
                     lining_samples=samples if cyl else None, samples=sub.size**2, staircase=cyl,
                     plan_factor=plan_factor)


def _plan_factor(grid: Grid, column: np.ndarray, radius: float) -> np.ndarray:
    """Cell array: pi R^2 over the staircase cavity's plan area in the cavity columns'
    collector, melt and gas-space cells (gas space: both less the rods' exact area), 1
    elsewhere (module docstring)."""
    plan = grid.face_areas(2)[:, :, 0]  # whole-pot areas (multiplicity included)
    cavity = np.isin(column, ("cavity", "rods"))
    stair, rod_area = float(plan[cavity].sum()), float(plan[column == "rods"].sum())
    true = math.pi * radius**2
    f_cav, f_gas = true / stair, (true - rod_area) / (stair - rod_area)
    out = np.ones(grid.shape)
    regions, m = grid.regions, grid.material
    inside = cavity[:, :, None]
    for name in ("bottom_collector",) + MELTS + ("gas_space",):
        if name in regions:
            out[inside & (m == regions[name])] = f_gas if name == "gas_space" else f_cav
    return out


def _polar_factor(grid: Grid, axis: int) -> np.ndarray:
    """1 / (|cos t| + |sin t|) at the polar angle t of every face of ``axis`` (3D)."""
    f = [grid.faces[a] if a == axis else grid.centres(a) for a in range(2)]
    # the plan's x and y faces outlive a remesh (only z moves): cached by their values
    return _polar_of(np.ascontiguousarray(f[0], dtype=float).tobytes(),
                     np.ascontiguousarray(f[1], dtype=float).tobytes())


@functools.lru_cache(maxsize=16)
def _polar_of(x: bytes, y: bytes) -> np.ndarray:
    """_polar_factor on the plan coordinates x, y (float64 bytes); read-only (cached)."""
    X, Y = np.meshgrid(np.frombuffer(x), np.frombuffer(y), indexing="ij")
    t = np.arctan2(Y, X)
    out = (1.0 / (np.abs(np.cos(t)) + np.abs(np.sin(t))))[:, :, None]
    out.setflags(write=False)
    return out


def _member(m: np.ndarray, ids, n_regions: int) -> np.ndarray:
    """Where the region ids ``m`` (0 .. n_regions - 1) are among ``ids``: np.isin(m, ids), by
    a lookup table per region id (one gather instead of a comparison per id)."""
    table = np.zeros(n_regions, dtype=bool)
    table[np.asarray(ids, dtype=np.intp)] = True
    return table[m]


# ---------------------------------------------------------------------------- materials
def pot_materials(config: Config, layout: PotLayout) -> tuple[HeatProperties, np.ndarray]:
    """The materials stage: heat properties and electrical conductivity [S/m] per cell from
    the regions of ``layout`` and the configuration's materials (module docstring). A
    staircase cylinder's side-lining column takes the series mix of its samples' layers as
    its conductivity and their volume mix of rho c_p; the cavity cells of a staircase
    cylinder are scaled by ``layout.plan_factor``."""
    grid = layout.grid
    regions, m, shape = grid.regions, grid.material, grid.shape
    z = _region_table(config, regions)
    keys = ("ks", "kl", "cs", "cl", "ts", "tl", "lat")
    # each property gathered by one flat index of the cells (a take on a 1-D table: ~half the
    # time of a 3-D fancy index, the same values)
    idx = m.reshape(-1).astype(np.intp)
    props = {key: z[key].take(idx).reshape(shape) for key in keys}
    if layout.lining_samples is not None:
        side = config.lining.side
        side_k = np.array([L.thermal_conductivity for L in side])
        side_c = np.array([config.materials.solid(L.material).volumetric_heat_capacity for L in side])
        k_mix, c_mix, z_mix = np.zeros(shape[:2]), np.zeros(shape[:2]), np.ones(shape[:2])
        z_k = side_k * _side_area_factor(config, layout)
        # every side column at once (rows of ``counts``); each row sums as the 1-D sums did
        ij, counts = _lining_columns(layout, side_k.size)
        k_col = 1.0 / np.sum(counts / layout.samples / side_k, axis=1)
        k_mix[ij] = k_col
        c_mix[ij] = np.sum(counts * side_c, axis=1) / counts.sum(axis=1)
        # along z the column's layers conduct in parallel, each by its share of the column's
        # plan (area-corrected), over the series mix the column takes across
        z_mix[ij] = np.sum(counts / layout.samples * z_k, axis=1) / k_col
        sel = _member(m, [regions[f"side_{i}"] for i in range(len(side))], len(regions))
        for key, val in (("ks", k_mix), ("kl", k_mix), ("cs", c_mix), ("cl", c_mix)):
            props[key] = np.where(sel, np.broadcast_to(val[:, :, None], shape), props[key])
        props["kz"] = np.where(sel, np.broadcast_to(z_mix[:, :, None], shape), 1.0)
    sigma = z["sig"].take(idx).reshape(shape)
    if layout.plan_factor is not None:
        for key in ("ks", "kl", "cs", "cl", "lat"):
            props[key] = props[key] * layout.plan_factor
        sigma = sigma * layout.plan_factor
    heat = HeatProperties(*(props[key] for key in ("ks", "kl", "cs", "cl", "ts", "tl", "lat")),
                          k_z_factor=props.get("kz"))
    return heat, sigma


def _lining_columns(layout: PotLayout, n_layers: int) -> tuple[tuple, np.ndarray]:
    """The side-lining columns of ``layout.lining_samples`` as arrays, in the dict's order:
    their (i, j) plan indices and their samples per layer (rows, float)."""
    ij = tuple(np.array(list(layout.lining_samples), dtype=np.intp).reshape(-1, 2).T)
    counts = np.array(list(layout.lining_samples.values()), dtype=float).reshape(len(ij[0]), n_layers)
    return ij, counts


def _side_area_factor(config: Config, layout: PotLayout) -> np.ndarray:
    """Per side-lining layer of a staircase cylinder: its true plan area (the annulus) over its
    area sampled in the side-lining columns (samples in cavity and outside columns are lost,
    first order in the column size); multiplies each layer's conductivity in the columns'
    parallel (z) mix, so the lining conducts along z as the cylinder's layers do."""
    plan = layout.grid.face_areas(2)[:, :, 0]  # whole-pot areas (multiplicity included)
    side = config.lining.side
    ij, counts = _lining_columns(layout, len(side))
    # the columns' sum in their order, one after the other (a cumulative sum adds in
    # sequence, as a loop over the columns would)
    sampled = (np.cumsum(counts / layout.samples * plan[ij][:, None], axis=0)[-1] if counts.size
               else np.zeros(len(side)))
    r = config.geometry.inner_radius + np.concatenate(([0.0], np.cumsum([L.thickness for L in side])))
    true = math.pi * (r[1:] ** 2 - r[:-1] ** 2)
    return np.where(sampled > 0, true / np.where(sampled > 0, sampled, 1.0), 0.0)


# ---------------------------------------------------------------------------- boundaries
def pot_boundaries(config: Config, layout: PotLayout, options: PotOptions = PotOptions()
                   ) -> tuple[dict, dict, dict, float]:
    """The boundary stage: outer boundary conditions (side -> SurfaceBC), films (axis -> face
    film [W/(m2 K)]), loss groups (name -> (side, face mask)) and the outer side area [m2].

    An r-z pot's stage depends on its material map, its regions, the lining and the rods'
    outer conductance only (no face coordinate): a remesh (the layers moved, the cell counts
    kept) gets the same objects again (``_BOUNDARIES``; the arrays are shared, read-only),
    which lets the heat solvers keep what they derive from them (cellsim.fields.heat)."""
    grid = layout.grid
    if grid.geometry != "rz" or layout.staircase:
        return _pot_boundaries(config, layout, options)
    col = config.collectors
    key = (grid.shape, grid.material.tobytes(), tuple(grid.regions.items()), layout.walls, config.lining,
           col.rod_thermal_conductivity, col.rod_cold_end_temperature, outside_rod_length(config))
    hit = _BOUNDARIES.get(key)
    if hit is None:
        bcs, films, groups, _ = _pot_boundaries(config, layout, options)
        for a in (*films.values(), *(m for _, m in groups.values()),
                  *(v for bc in bcs.values() for v in vars(bc).values())):
            if isinstance(a, np.ndarray):
                a.flags.writeable = False
        hit = _BOUNDARIES.put(key, (bcs, films, groups))
    bcs, films, groups = hit
    return dict(bcs), dict(films), dict(groups), 0.0  # no outer side area on an r-z pot


# r-z pots: the boundary stage's inputs -> (bcs, films, loss groups) (``pot_boundaries``)
_BOUNDARIES = BoundedMemo(8)


def _pot_boundaries(config: Config, layout: PotLayout, options: PotOptions) -> tuple[dict, dict, dict, float]:
    """``pot_boundaries`` built (no memo)."""
    lin, col = config.lining, config.collectors
    grid, walls, staircase = layout.grid, layout.walls, layout.staircase
    regions, m, shape = grid.regions, grid.material, grid.shape

    # films: melt | side lining (lateral faces), alloy | collector (axial faces), and for a
    # staircase cylinder the shell surface on the shell | ambient faces
    melt_ids = [regions[n] for n in MELTS]
    side_ids = [regions[f"side_{i}"] for i in range(len(lin.side))]
    ambient = regions.get("ambient", -1)
    h_rad = 0.0
    if staircase:
        ts, ta = options.surface_temperature, lin.ambient_temperature
        h_rad = (lin.shell_emissivity * STEFAN_BOLTZMANN * (ts**4 - ta**4) / (ts - ta)
                 if abs(ts - ta) > 1e-6 else 4 * lin.shell_emissivity * STEFAN_BOLTZMANN * ta**3)
    films = {}
    lateral = (0,) if grid.geometry == "rz" else (0, 1)
    is_melt, is_side = _member(m, melt_ids, len(regions)), _member(m, side_ids, len(regions))
    for a in lateral:
        n = shape[a]
        lo, hi = np.take(m, np.arange(n - 1), axis=a), np.take(m, np.arange(1, n), axis=a)
        below, above = np.arange(n - 1), np.arange(1, n)
        melt_lo, melt_hi = np.take(is_melt, below, axis=a), np.take(is_melt, above, axis=a)
        side_lo, side_hi = np.take(is_side, below, axis=a), np.take(is_side, above, axis=a)
        film = np.zeros(grid.face_areas(a).shape)
        inner = [slice(None)] * 3
        inner[a] = slice(1, n)
        wall = (melt_lo & side_hi) | (melt_hi & side_lo)
        film[tuple(inner)][wall] = lin.inside_heat_transfer
        if staircase:
            out = ((lo == ambient) & (hi != ambient)) | ((hi == ambient) & (lo != ambient))
            film[tuple(inner)][out] = lin.outside_convection + h_rad
            film *= _polar_factor(grid, a)
        films[a] = film
    film_z = np.zeros(shape[:2] + (shape[2] + 1,))
    lo, hi = m[:, :, :-1], m[:, :, 1:]
    film_z[:, :, 1:-1][(lo == regions["bottom_collector"]) & (hi == regions["anode_alloy"])] = lin.inside_heat_transfer
    films[2] = film_z

    amb_T = lin.ambient_temperature
    surface = SurfaceBC(h=lin.outside_convection, value=amb_T, emissivity=lin.shell_emissivity, ambient=amb_T)
    rods_top = (m[:, :, -1] == regions["rods"])
    outside_top = (m[:, :, -1] == ambient)
    top = SurfaceBC(h=np.where(rods_top, col.rod_thermal_conductivity / outside_rod_length(config),
                               np.where(outside_top, np.inf, lin.outside_convection)),
                    value=np.where(rods_top, col.rod_cold_end_temperature, amb_T),
                    emissivity=np.where(rods_top | outside_top, 0.0, lin.shell_emissivity), ambient=amb_T)
    bcs = {"z+": top}
    groups = {"lid": ("z+", ~rods_top & ~outside_top), "collectors": ("z+", rods_top)}
    if staircase:
        groups["side@z+"] = ("z+", outside_top)
        outside_bottom = m[:, :, 0] == ambient
        bcs["z-"] = SurfaceBC(h=np.where(outside_bottom, np.inf, lin.outside_convection), value=amb_T,
                              emissivity=np.where(outside_bottom, 0.0, lin.shell_emissivity), ambient=amb_T)
        groups["bottom"] = ("z-", ~outside_bottom)
        groups["side@z-"] = ("z-", outside_bottom)
    else:
        bcs["z-"] = surface
        groups["bottom"] = ("z-", None)
    for w in walls:
        a = "xyz".index(w[0]) if w[0] != "r" else 0
        if staircase:  # pot cells on the box side: the shell surface, area-scaled; outside: ambient
            edge = m[-1] if a == 0 else m[:, -1]
            f = _polar_factor(grid, a)[-1 if a == 0 else slice(None)]
            f = f[:, -1] if a == 1 else f
            out = edge == ambient
            bcs[w] = SurfaceBC(h=np.where(out, np.inf, lin.outside_convection * f), value=amb_T,
                               emissivity=np.where(out, 0.0, lin.shell_emissivity * f), ambient=amb_T)
        else:
            bcs[w] = surface
        groups["side" if w in ("r+", "x+") else f"side@{w}"] = (w, None)
    groups = {k: groups[k] for k in sorted(groups, key=lambda k: ("side", "bottom", "lid", "collectors")
                                          .index(k.split("@")[0]))}
    height = grid.faces[2][-1] - grid.faces[2][0]
    if staircase:
        outer = 2 * math.pi * grid.faces[0][-1]
    else:
        outer = 4 * (grid.faces[0][-1] + grid.faces[1][-1]) if grid.geometry == "xyz" else 0.0
    return bcs, films, groups, outer * height


def grid_cells(config: Config) -> int:
    """Cells of the field grid ``config`` builds at its start (numerics.model and
    numerics.resolution; 0 at the lumped level): the mesh alone, no materials or solves."""
    model = config.numerics.model
    if model == "lumped":
        return 0
    s = RESOLUTIONS[config.numerics.resolution]
    rz = model == "axisymmetric"
    layout = _mesh_rz(config, s) if rz else _mesh_xyz(config, s)
    return int(np.prod(layout.grid.shape))
