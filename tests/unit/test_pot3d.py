"""The 3D pot builder (rectangular and staircase cylinder) and the remap in x-y-z."""

import dataclasses
import math

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields.heat import HeatSolver
from cellsim.fields.heat_diagnostics import face_losses
from cellsim.fields.pot import build_pot, rod_pattern
from cellsim.fields.remap import build_layers, overlap_matrix, remap_enthalpy
from cellsim.units import STEFAN_BOLTZMANN
from reference.layers import layer_bounds, remap_energy


@pytest.fixture(scope="module")
def rect():
    return load_config("rusal-3kA-rect")


@pytest.fixture(scope="module")
def cyl():
    return load_config("rusal-3kA")


def test_rectangular_quarter_pot_has_the_configured_volumes_and_rods(rect):
    pot = build_pot(rect, "coarse")
    g, geo, col = pot.grid, rect.geometry, rect.collectors
    assert g.geometry == "xyz" and g.multiplicity == 4.0
    vol = g.volumes()
    area = geo.inner_length * geo.inner_width
    for name, depth in (("anode_alloy", geo.anode_alloy_depth), ("electrolyte", geo.acd),
                        ("cathode_metal", geo.cathode_metal_depth)):
        assert vol[g.region_mask(name)].sum() == pytest.approx(area * depth, rel=1e-12), name
    # rods: the configured count and cross-section through the lid (and the gas space)
    rods = g.region_mask("rods")
    top = rods[:, :, -1]
    dx, dy = np.diff(g.faces[0]), np.diff(g.faces[1])
    rod_area = 4 * np.sum(top * dx[:, None] * dy[None, :])
    assert rod_area == pytest.approx(col.rod_count * math.pi * col.rod_diameter**2 / 4, rel=1e-12)
    assert rod_pattern(6, geo.inner_length, geo.inner_width) == (3, 2)
    assert len(pot.rods) == 2  # quarter: a half rod on x = 0 and a whole one, one row in y
    lining = sum(L.thickness for L in rect.lining.side)
    assert g.faces[0][-1] == pytest.approx(geo.inner_length / 2 + lining, rel=1e-12)
    assert g.faces[1][-1] == pytest.approx(geo.inner_width / 2 + lining, rel=1e-12)
    assert set(pot.bcs) == {"x+", "y+", "z-", "z+"}  # x-, y-: insulated symmetry planes
    assert set(face_losses(type("B", (), {"losses": {k: 1.0 for k in pot.loss_groups}}))) == \
        {"side", "bottom", "lid", "collectors"}


def test_staircase_cylinder_approximates_the_cavity(cyl):
    pot = build_pot(cyl, "default", geometry="xyz")
    g = pot.grid
    area = math.pi * cyl.geometry.inner_radius**2
    salt = g.volumes()[g.region_mask("electrolyte")].sum() / cyl.geometry.acd
    assert salt == pytest.approx(area, rel=0.01)  # staircase of 3 cm cells: 0.6 %
    assert "ambient" in g.regions
    amb = g.region_mask("ambient")[:, :, 0]
    xc, yc = g.centres(0), g.centres(1)
    r = np.hypot(xc[:, None], yc[None, :])
    outer = cyl.geometry.inner_radius + sum(L.thickness for L in cyl.lining.side)
    assert np.all(r[amb] > outer - 0.03) and np.all(r[~amb] < outer + 0.03)


@pytest.mark.parametrize("resolution", ["coarse", "default", "fine"])
def test_staircase_cavity_layers_carry_the_cylinder_plan_area(cyl, resolution):
    """The cavity's plan factor makes each cavity layer's conductance and heat capacity the
    cylinder's: sum of factor x plan area = pi R^2 (gas space: less the rods' squares), on
    grids whose staircase area is off by -0.08 / +0.63 / +0.10 %. The electrolyte's
    vertical conductance, summed column by column, is kappa pi R^2 / acd."""
    pot = build_pot(cyl, resolution, geometry="xyz")
    g, geo = pot.grid, cyl.geometry
    area = math.pi * geo.inner_radius**2
    plan = g.face_areas(2)[:, :, 0]
    for name in ("bottom_collector", "anode_alloy", "electrolyte", "cathode_metal", "gas_space"):
        mask = g.region_mask(name)
        k = int(np.nonzero(mask.any(axis=(0, 1)))[0][0])
        layer = np.sum((pot.plan_factor[:, :, k] * plan)[mask[:, :, k]])
        if name == "gas_space":
            layer += np.sum(plan[g.region_mask("rods")[:, :, k]])
        assert layer == pytest.approx(area, rel=1e-12), name
    salt = g.region_mask("electrolyte")
    column_g = np.sum(np.where(salt, g.widths(2)[None, None, :] / np.where(salt, pot.sigma, 1.0), 0.0), axis=2)
    cols = salt.any(axis=2)
    conductance = np.sum(plan[cols] / column_g[cols])
    assert conductance == pytest.approx(cyl.electrolyte.conductivity * area / geo.acd, rel=1e-12)
    assert np.all(pot.plan_factor[~np.isin(g.material, [g.regions[n] for n in (
        "bottom_collector", "anode_alloy", "electrolyte", "cathode_metal", "gas_space")])] == 1.0)


@pytest.mark.parametrize("resolution", ["coarse", "default", "fine"])
def test_staircase_side_lining_conducts_along_z_as_the_cylinder(cyl, resolution):
    """A staircase column of the side lining covers several layers (the 1 cm steel shell in
    3 cm columns): across (x, y) it takes their series mix, along z their parallel mix, so the
    heat solver's vertical conductance of the side lining, summed over its columns, is the
    cylinder's, sum of k_i pi (r_i,out^2 - r_i,in^2) / dz, on every grid (the series mix gave
    51 / 51 / 69 % of it at coarse / default / fine). Across, the conductivity stays the
    series mix (the factor multiplies the z faces only, and is 1 outside the side lining)."""
    pot = build_pot(cyl, resolution, geometry="xyz")
    g, geo = pot.grid, cyl.geometry
    gz = HeatSolver(g, pot.heat, pot.bcs).interior_conductances(pot.heat.k_solid)[2]
    side = np.isin(g.material, [g.regions[f"side_{i}"] for i in range(len(cyl.lining.side))])
    k = int(np.nonzero(g.region_mask("electrolyte").any(axis=(0, 1)))[0][1])  # a face inside the layer
    cols = side[:, :, k - 1] & side[:, :, k]
    dz = 0.5 * (g.widths(2)[k - 1] + g.widths(2)[k])
    r, cylinder = geo.inner_radius, 0.0
    for L in cyl.lining.side:
        cylinder += L.thermal_conductivity * math.pi * ((r + L.thickness) ** 2 - r**2) / dz
        r += L.thickness
    assert np.sum(gz[:, :, k][cols]) == pytest.approx(cylinder, rel=1e-12)
    f = pot.heat.k_z_factor
    assert np.all(f[side] > 0.0) and np.all(f[~side] == 1.0)
    gx = HeatSolver(g, pot.heat, pot.bcs).interior_conductances(pot.heat.k_solid)[0]
    iso = HeatSolver(g, dataclasses.replace(pot.heat, k_z_factor=None), pot.bcs).interior_conductances(
        pot.heat.k_solid)
    assert np.array_equal(gx, iso[0]) and not np.allclose(gz, iso[2])


def test_z_factor_on_a_z_boundary_is_refused(cyl):
    pot = build_pot(cyl, "coarse", geometry="xyz")
    with pytest.raises(ValueError, match="k_z_factor"):
        HeatSolver(pot.grid, dataclasses.replace(pot.heat, k_z_factor=2.0 * np.ones(pot.grid.shape)), pot.bcs)


def test_rectangular_wall_flux_matches_the_series_resistance():
    """Where heat crosses the side wall in 1D, the local flux is the series calculation: melt
    half-cell, film, lining layers, then convection and radiation from the shell (solved for
    the surface temperature). In rusal-3kA-rect the wall (31 cm) is thicker than the melt is
    tall (22.5 cm) and heat spreads along it (measured: 1055 against 1107 W/m2 at the
    electrolyte), so the check uses a long pot with 0.9 m of anode alloy and the probe at the
    alloy's mid-height on the long wall, 1.2 m from the corners."""
    rect = load_config("rusal-3kA-rect", ['geometry.inner_length="2.4 m"', 'geometry.inner_width="0.8 m"',
                                          'geometry.anode_alloy_depth="0.9 m"'])
    pot = build_pot(rect, "coarse")
    g, lin = pot.grid, rect.lining
    salt = g.region_mask("anode_alloy")  # the melt next to the probe
    k_mid = int(np.mean(np.nonzero(salt.any(axis=(0, 1)))[0]))
    probe = np.zeros(g.face_areas(1)[:, -1, :].shape, bool)
    probe[0, k_mid] = True
    groups = dict(pot.loss_groups, probe=("y+", probe))
    solver = HeatSolver(g, pot.heat, pot.bcs, pot.films, groups)
    T = rect.operation.temperature
    state, bal = solver.steady(heater=pot.heater(T))
    q_field = bal.losses["probe"] / g.face_areas(1)[0, -1, k_mid]
    # hand calculation from the inner cell (next to the wall) to ambient
    j_in = int(np.nonzero(salt[0, :, k_mid])[0][-1])
    t_in = state.T[0, j_in, k_mid]
    half = 0.5 * np.diff(g.faces[1])[j_in] / pot.heat.k_liquid[0, j_in, k_mid]
    r_wall = half + 1.0 / lin.inside_heat_transfer + sum(L.thickness / L.thermal_conductivity for L in lin.side)
    ta, es = lin.ambient_temperature, lin.shell_emissivity * STEFAN_BOLTZMANN
    ts = ta + 30.0
    for _ in range(100):  # (t_in - ts) / r_wall = h (ts - ta) + eps sigma (ts^4 - ta^4)
        f = (t_in - ts) / r_wall - lin.outside_convection * (ts - ta) - es * (ts**4 - ta**4)
        ts += f / (1 / r_wall + lin.outside_convection + 4 * es * ts**3)
    q_hand = (t_in - ts) / r_wall
    assert q_field == pytest.approx(q_hand, rel=0.02)  # measured: 1119.8 against 1127.2 W/m2


def test_same_3d_grid_remap_is_the_identity(rect):
    pot = build_layers(rect, "coarse", 0.12, 0.06)
    H = np.random.default_rng(1).uniform(1e9, 3e9, pot.grid.shape)
    H_new, energy = remap_enthalpy(pot.grid, pot.grid, H)
    assert np.allclose(H_new, H, rtol=1e-14) and abs(energy) <= 1e-9 * np.sum(H * pot.grid.volumes())
    assert np.allclose(overlap_matrix(pot.grid, pot.grid), np.eye(pot.grid.shape[2]))


@pytest.mark.parametrize("name", ["rusal-3kA-rect", "rusal-3kA"])
def test_3d_remap_states_its_energy_exactly(name):
    """Independent reference: every z layer stretches linearly in every column, so the content
    of each layer scales with its height; the stated energy is the sum of those changes."""
    config = load_config(name)
    old = build_layers(config, "coarse", 0.12, 0.06, geometry="xyz")
    new = build_layers(config, "coarse", 0.125, 0.09, geometry="xyz")
    H = np.random.default_rng(2).uniform(1e9, 3e9, old.grid.shape)
    H_new, energy = remap_enthalpy(old.grid, new.grid, H)
    e_old, e_new = np.sum(H * old.grid.volumes()), np.sum(H_new * new.grid.volumes())
    assert e_new - e_old == pytest.approx(energy, rel=1e-9)
    expected = remap_energy(old.grid, H, layer_bounds(config))
    assert energy == pytest.approx(expected, rel=1e-9)
    assert energy != 0.0


def test_bad_geometry_requests_are_clear(rect, cyl):
    with pytest.raises(ValueError, match="must be cylindrical"):
        build_pot(rect, "coarse", geometry="rz")
    with pytest.raises(ValueError, match="geometry must be one of"):
        build_pot(cyl, "coarse", geometry="polar")


def test_plan_is_reused_when_only_the_layers_move_and_rebuilt_when_the_plan_changes(cyl):
    """A remesh (the layers' depths moved) reuses the cached plan of the 3D pot; the pot is the
    one built without the cache, and a plan change (another cavity radius) builds a new plan."""
    from cellsim.fields import pot as pot_module

    deeper = load_config("rusal-3kA", ['geometry.anode_alloy_depth="14 cm"'])
    pot_module._plan_xyz.cache_clear()
    first = build_pot(cyl, "coarse", geometry="xyz")
    moved = build_pot(deeper, "coarse", geometry="xyz")
    assert pot_module._plan_xyz.cache_info().hits >= 1
    pot_module._plan_xyz.cache_clear()
    fresh = build_pot(deeper, "coarse", geometry="xyz")
    for a, b in ((moved.grid, fresh.grid),):
        assert all(np.array_equal(f, h) for f, h in zip(a.faces, b.faces))
        assert np.array_equal(a.material, b.material)
    assert not np.array_equal(first.grid.faces[2], moved.grid.faces[2])  # the layers did move
    wider = load_config("rusal-3kA", ['geometry.inner_radius="0.47 m"'])
    other = build_pot(wider, "coarse", geometry="xyz")
    assert not np.array_equal(other.grid.faces[0], first.grid.faces[0])


@pytest.mark.parametrize("name", ["rusal-3kA", "rusal-3kA-rect"])
def test_vectorised_layout_and_side_area_factor_match_the_column_loops(name):
    """The 3D layout's material ids (set per kind of column at once) and the side-lining area
    factor (a cumulative sum over the columns) are the ones the per-column loops gave, bit for
    bit: the loops are written out here as they were."""
    import math as m_

    from cellsim.fields import pot as pm

    config = load_config(name)
    for res in ("coarse", "default"):
        s = pm.RESOLUTIONS[res]
        layout = pm._mesh_xyz(config, s)
        geo, lin, col = config.geometry, config.lining, config.collectors
        cyl = geo.shape == "cylindrical"
        plan = pm._plan_xyz(cyl, geo.inner_radius if cyl else None, None if cyl else geo.inner_length,
                            None if cyl else geo.inner_width, tuple(L.thickness for L in lin.side),
                            col.rod_count, col.rod_diameter, s)
        column = plan[3]
        z_parts = pm._z_parts(config, "xyz")
        _, zid = pm._segments(z_parts, s)
        znames = [p[0] for p in z_parts]
        regions = layout.grid.regions
        expected = np.empty_like(layout.grid.material)
        for i in range(column.shape[0]):
            for j in range(column.shape[1]):
                expected[i, j, :] = [regions[pm._column_name(znames[zi], column[i, j])] for zi in zid]
        assert np.array_equal(layout.grid.material, expected)
        if not cyl:
            assert layout.lining_samples is None
            continue
        # the cached counts cannot be changed through a layout
        with pytest.raises(ValueError):
            next(iter(layout.lining_samples.values()))[0] = 0
        area = layout.grid.face_areas(2)[:, :, 0]
        sampled = np.zeros(len(lin.side))
        for (i, j), counts in layout.lining_samples.items():
            sampled += counts / layout.samples * area[i, j]
        r = geo.inner_radius + np.concatenate(([0.0], np.cumsum([L.thickness for L in lin.side])))
        true = m_.pi * (r[1:] ** 2 - r[:-1] ** 2)
        old = np.where(sampled > 0, true / np.where(sampled > 0, sampled, 1.0), 0.0)
        assert np.array_equal(pm._side_area_factor(config, layout), old)


def test_region_membership_table_is_np_isin(cyl, rect):
    """The builder's membership lookup (a table per region id) marks the cells np.isin marks,
    for every subset size of the regions of a 3D and an r-z pot (and none for no ids)."""
    from cellsim.fields.pot import _member

    rng = np.random.default_rng(5)
    for grid in (build_pot(cyl, "coarse", geometry="xyz").grid, build_pot(rect, "coarse").grid,
                 build_pot(cyl, "coarse").grid):
        m, n = grid.material, len(grid.regions)
        for size in range(n + 1):
            ids = [int(i) for i in rng.choice(n, size=size, replace=False)]
            got = _member(m, ids, n)
            assert got.dtype == bool and np.array_equal(got, np.isin(m, ids))


def test_material_properties_are_the_region_table_per_cell(rect, cyl):
    """Outside the staircase side lining (and before the cavity's plan factor) every cell
    carries its region's properties: the region table indexed by the material id, key by key
    (the builder gathers each key by one flat index of the cells), and the conductivity too."""
    from cellsim.fields.pot import _mesh_xyz, _mesh_rz, _region_table, pot_materials, RESOLUTIONS

    s = RESOLUTIONS["coarse"]
    for config, layout in ((rect, _mesh_xyz(rect, s)), (cyl, _mesh_rz(cyl, s)), (cyl, _mesh_xyz(cyl, s))):
        heat, sigma = pot_materials(config, layout)
        g = layout.grid
        z = _region_table(config, g.regions)
        plain = ~np.isin(g.material, [g.regions[f"side_{i}"] for i in range(len(config.lining.side))])
        if layout.lining_samples is None:
            plain[:] = True
        pf = np.ones(g.shape) if layout.plan_factor is None else layout.plan_factor
        for key, got in (("ks", heat.k_solid), ("kl", heat.k_liquid), ("cs", heat.c_solid),
                         ("cl", heat.c_liquid), ("ts", heat.t_solidus), ("tl", heat.t_liquidus),
                         ("lat", heat.latent)):
            want = z[key][g.material]
            if key in ("ks", "kl", "cs", "cl", "lat"):
                want = want * pf
            assert np.array_equal(got[plain], want[plain]), key
        assert np.array_equal(sigma, z["sig"][g.material] * pf)


def test_polar_factor_cached_is_the_formula_on_each_grid(cyl):
    """The shell's polar area factor (cached by the plan's coordinates) is 1 / (|cos t| +
    |sin t|) at each face's polar angle on the grid it is asked for, after a remesh and on
    another plan, and read-only."""
    from cellsim.fields.pot import _polar_factor

    for config in (cyl, load_config("rusal-3kA", ['geometry.anode_alloy_depth="14 cm"']),
                   load_config("rusal-3kA", ['geometry.inner_radius="0.47 m"'])):
        g = build_pot(config, "coarse", geometry="xyz").grid
        for axis in (0, 1):
            f = [g.faces[a] if a == axis else g.centres(a) for a in range(2)]
            t = np.arctan2(f[1][None, :], f[0][:, None])
            want = 1.0 / (np.abs(np.cos(t)) + np.abs(np.sin(t)))
            got = _polar_factor(g, axis)
            assert got.shape == want.shape + (1,) and np.array_equal(got[:, :, 0], want)
            assert not got.flags.writeable
