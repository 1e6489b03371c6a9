"""The pot builder: regions, geometry and properties follow the configuration."""

import math

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields.pot import MELTS, build_pot


@pytest.fixture(scope="module")
def config():
    return load_config("rusal-3kA")


@pytest.fixture(scope="module")
def pot(config):
    return build_pot(config, "coarse")


def test_layer_volumes_match_the_configuration(config, pot):
    vol = pot.grid.volumes()
    geo = config.geometry
    area = math.pi * geo.inner_radius**2
    for name, depth in (("anode_alloy", geo.anode_alloy_depth), ("electrolyte", geo.acd),
                        ("cathode_metal", geo.cathode_metal_depth)):
        assert vol[pot.grid.region_mask(name)].sum() == pytest.approx(area * depth, rel=1e-12)
    lining = sum(L.thickness for L in config.lining.side)
    assert pot.grid.faces[0][-1] == pytest.approx(geo.inner_radius + lining, rel=1e-12)
    height = (sum(L.thickness for L in config.lining.bottom) + config.collectors.bottom_thickness
              + geo.anode_alloy_depth + geo.acd + geo.cathode_metal_depth + geo.freeboard
              + sum(L.thickness for L in config.lining.lid))
    assert pot.grid.faces[2][-1] == pytest.approx(height, rel=1e-12)


def test_properties_per_region(config, pot):
    g = pot.grid
    assert np.all(pot.sigma[g.region_mask("side_0")] == 0.0)
    assert np.all(pot.sigma[g.region_mask("electrolyte")] == config.electrolyte.conductivity)
    el = g.region_mask("electrolyte")
    assert np.all(pot.heat.t_liquidus[el] == config.electrolyte.liquidus)
    assert np.all(pot.heat.latent[el] == pytest.approx(config.electrolyte.density * config.electrolyte.latent_heat))
    for name in MELTS:
        m = g.region_mask(name)
        assert np.all(pot.heat.k_liquid[m] > pot.heat.k_solid[m] * 0.99)
    assert np.all(pot.heat.latent[g.region_mask("bottom_collector")] == 0.0)


def test_current_grid_and_boundaries(pot):
    sub = pot.current_grid()
    regions = set(np.unique(sub.material))
    for name in ("bottom_collector", "anode_alloy", "electrolyte", "cathode_metal", "rods"):
        assert pot.grid.regions[name] in regions
    assert np.all(sub.material[:, :, 0] == pot.grid.regions["bottom_collector"])
    assert np.any(sub.material[:, :, -1] == pot.grid.regions["rods"])
    assert set(pot.loss_groups) == {"side", "bottom", "lid", "collectors"}
    assert pot.embed(np.ones(sub.shape)).sum() == sub.n_cells


def test_resolutions_scale_and_bad_input(config):
    n = [build_pot(config, r).grid.n_cells for r in ("coarse", "default", "fine")]
    assert n[0] < n[1] < n[2]
    with pytest.raises(ValueError, match="resolution"):
        build_pot(config, "huge")


def test_one_eddy_diffusivity_for_heat_and_species():
    """k_eff = k_mol + rho c_p D_t in each melt (hand calculation from the configuration and
    the molecular conductivities of the materials library); the species field takes D_mol + D_t."""
    from cellsim.fields.species import SpeciesOptions

    sets = ['electrolyte.eddy_diffusivity="3e-4 m2/s"', 'anode_alloy.eddy_diffusivity="1e-5 m2/s"',
            'cathode_metal.eddy_diffusivity="0 m2/s"']
    cfg = load_config("rusal-3kA", sets)
    pot, o, el = build_pot(cfg, "coarse"), cfg.materials.anode_alloy, cfg.electrolyte
    k = {name: np.unique(pot.heat.k_liquid[pot.grid.region_mask(name)]) for name in MELTS}
    assert k["electrolyte"] == pytest.approx([0.8 + el.density * el.specific_heat * 3e-4], rel=1e-14)
    assert k["anode_alloy"] == pytest.approx([70.0 + o.density * o.specific_heat * 1e-5], rel=1e-14)
    assert k["cathode_metal"] == pytest.approx([100.0], rel=1e-14)
    D = SpeciesOptions.from_config(cfg).diffusivity
    assert D == pytest.approx(np.asarray(SpeciesOptions(salt_concentration=1.0).molecular_diffusivity) + 3e-4,
                              rel=1e-14)


def _layer_bounds(config):
    """z faces [m] of the layer bounds (bottom to top) and r faces of the part bounds, from
    the configuration alone."""
    geo, lin, col = config.geometry, config.lining, config.collectors
    zt = ([L.thickness for L in lin.bottom[::-1]] + [col.bottom_thickness, geo.anode_alloy_depth, geo.acd,
          geo.cathode_metal_depth, geo.freeboard] + [L.thickness for L in lin.lid])
    r_rod = math.sqrt(col.rod_count) * col.rod_diameter / 2
    rt = [r_rod, geo.inner_radius - r_rod] + [L.thickness for L in lin.side]
    return np.cumsum([0.0] + zt), np.cumsum([0.0] + rt)


@pytest.mark.parametrize("cell, sets", [("rusal-3kA", ()), ("rusal-500A", ()),
                                       ("rusal-3kA", ('lining.side[1].thickness="0.3 m"',))])
def test_graded_rz_mesh_splits_and_merges(cell, sets):
    """r-z: every part bound is a face; "fine" is "default" with every cell split in two
    (its odd faces the midpoints), "coarse" is "default" with pairs merged; inside each
    solid part of more than 2 cells the widths grow from both faces to the middle, at most
    by the configured grading; guards.estimate_cells counts the built cells."""
    from cellsim.fields import pot as potmod
    from cellsim.guards import estimate_cells

    config = load_config(cell, list(sets))
    g = {r: build_pot(config, r, geometry="rz").grid for r in ("coarse", "default", "fine")}
    zb, rb = _layer_bounds(config)
    for a, bounds in ((0, rb), (2, zb)):
        d, f, c = g["default"].faces[a], g["fine"].faces[a], g["coarse"].faces[a]
        for x in bounds:
            assert np.min(np.abs(d - x)) < 1e-12 * bounds[-1]
        assert np.allclose(f[::2], d, rtol=0, atol=1e-14) and np.allclose(f[1::2], 0.5 * (d[1:] + d[:-1]), rtol=0, atol=1e-14)
        assert np.allclose(d[::2], c, rtol=0, atol=1e-14)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            w = np.diff(d[(d >= lo - 1e-12) & (d <= hi + 1e-12)])
            if w.size > 2:
                ratio = w.max() / w.min()
                assert 1.0 <= ratio <= max(potmod.GRADING_RZ.values()) * (1 + 1e-9)
                assert w[0] == pytest.approx(w[-1], rel=1e-9)  # symmetric
    for r in ("coarse", "default", "fine"):
        cfg = load_config(cell, [*sets, 'numerics.model="axisymmetric"', f'numerics.resolution="{r}"'])
        assert estimate_cells(cfg) == g[r].n_cells
    if cell == "rusal-3kA":  # side 11.5, 11.5, 7, 1 cm at a 16 mm target width: 8, 8, 6, 2 cells
        side = [8, 12 if sets else 8, 6, 2]  # a 30 cm layer: 20, capped at 12
        assert [potmod._lining_cells_rz(L.thickness) for L in config.lining.side] == side
        assert g["default"].shape == (8 + 16 + sum(side), 1, 68)


def test_part_split_refines_one_rz_part_only(config):
    """pot.PART_SPLIT (grid_convergence.py --parts): a part named there is split in two (its
    cells' midpoints added), every other face of the default grid is kept, and with the
    mapping empty the mesh is the default's; rz_part_names names the parts the builder makes."""
    from cellsim.fields import pot as potmod

    base = build_pot(config, "default", geometry="rz").grid
    r_names, z_names = potmod.rz_part_names(config)
    assert r_names == ["rods", "cavity", "side_0", "side_1", "side_2", "side_3"]
    assert z_names[0] == "bottom_2" and z_names[-1] == "lid_2" and "gas_space" in z_names
    zb, rb = _layer_bounds(config)
    for axis, names, bounds in ((0, r_names, rb), (2, z_names, zb)):
        for i in (1, len(names) - 2):  # an inner part of each axis
            potmod.PART_SPLIT[names[i]] = 2
            try:
                g = build_pot(config, "default", geometry="rz").grid
            finally:
                potmod.PART_SPLIT.clear()
            lo, hi = bounds[i], bounds[i + 1]
            d, f = base.faces[axis], g.faces[axis]
            inside = (d >= lo - 1e-12) & (d <= hi + 1e-12)
            part = d[inside]
            expect = np.sort(np.concatenate((d, 0.5 * (part[1:] + part[:-1]))))
            assert np.allclose(f, expect, rtol=0, atol=1e-14)
            assert np.array_equal(g.faces[2 - axis], base.faces[2 - axis])
    again = build_pot(config, "default", geometry="rz").grid
    assert all(np.array_equal(a, b) for a, b in zip(again.faces, base.faces))


def test_rz_shell_temperature_is_the_height_mean_of_the_outer_column(config):
    """The r-z shell temperature weighs each outer cell by its outer face (2 pi R dz), so a
    temperature linear in height gives its value at mid-height whatever the grading (the
    midpoint rule is exact for a linear function); an unweighted mean of the graded column's
    cells would not (its fine cells sit at the layer faces)."""
    from cellsim.fields.heat_diagnostics import shell_temperature

    pot = build_pot(config, "default", geometry="rz")
    zf = pot.grid.faces[2]
    zc = 0.5 * (zf[1:] + zf[:-1])
    T = np.broadcast_to(400.0 + 50.0 * zc, pot.grid.shape).copy()
    mid = 400.0 + 50.0 * 0.5 * (zf[0] + zf[-1])
    assert shell_temperature(pot, T) == pytest.approx(mid, rel=1e-13)
    assert abs(np.mean(T[-1, 0, :]) - mid) > 1e-3  # the grading makes the plain mean differ


def test_region_flows_close_each_region_balance(config, pot):
    """The region-to-region heat flows (the grid study's break-down of the losses by path)
    close every region's steady balance: the flows out of a region equal its source, and the
    outward flows by side add up to the balance's loss groups."""
    from cellsim.fields.heat_diagnostics import region_flows

    solver = pot.heat_solver()
    g = pot.grid
    vol = g.volumes()
    q = np.where(g.region_mask("electrolyte"), 3e4 * vol, 0.0) + np.where(g.region_mask("rods"), 1e4 * vol, 0.0)
    heater = pot.heater(1223.15)
    state, balance = solver.steady({"joule": q}, heater)
    flows = region_flows(solver, state)
    source = {name: float(q[g.region_mask(name)].sum()) for name in g.regions}
    source["anode_alloy"] += balance.heater
    scale = balance.total_loss
    for name in g.regions:
        out = sum(v for (a, b), v in flows.items() if a == name) - sum(
            v for (a, b), v in flows.items() if b == name)
        assert out == pytest.approx(source[name], abs=1e-8 * scale), name
    by_side = {}
    for (a, b), v in flows.items():
        if b.startswith("out "):
            by_side[b[4:]] = by_side.get(b[4:], 0.0) + v
    assert by_side["x+"] == pytest.approx(balance.losses["side"], rel=1e-12)
    assert by_side["z-"] == pytest.approx(balance.losses["bottom"], rel=1e-12)
    assert by_side["z+"] == pytest.approx(balance.losses["lid"] + balance.losses["collectors"], rel=1e-12)
    assert flows[("cathode_metal", "gas_space")] > 0 and flows[("side_3", "out x+")] > 0
