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
