"""Moving layers: the enthalpy remap between two pots (cellsim.fields.remap)."""

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields.remap import build_layers, overlap_matrix, remap_enthalpy
from reference.layers import layer_bounds, remap_energy


@pytest.fixture(scope="module")
def config():
    return load_config("rusal-3kA")


def test_same_grid_is_the_identity(config):
    pot = build_layers(config, "coarse", 0.12, 0.06)
    H = np.random.default_rng(1).uniform(1e9, 3e9, pot.grid.shape)
    H_new, energy = remap_enthalpy(pot.grid, pot.grid, H)
    assert np.allclose(H_new, H, rtol=1e-14) and energy == pytest.approx(0.0, abs=1e-6 * np.sum(H))
    assert np.allclose(overlap_matrix(pot.grid, pot.grid), np.eye(pot.grid.shape[2]))


def test_remap_keeps_layer_enthalpy_density_and_states_its_energy(config):
    old = build_layers(config, "coarse", 0.12, 0.06)
    new = build_layers(config, "coarse", 0.125, 0.09)  # alloy +5 mm, cathode +3 cm
    rng = np.random.default_rng(2)
    H = rng.uniform(1e9, 3e9, old.grid.shape)
    H_new, energy = remap_enthalpy(old.grid, new.grid, H)
    # the stated energy is exactly the change of the enthalpy content
    e_old, e_new = np.sum(H * old.grid.volumes()), np.sum(H_new * new.grid.volumes())
    assert e_new - e_old == pytest.approx(energy, rel=1e-9)
    # each layer keeps its mean enthalpy per volume (its temperature); unchanged layers keep H
    for region in ("anode_alloy", "electrolyte", "cathode_metal", "bottom_collector"):
        mo, mn = old.grid.region_mask(region), new.grid.region_mask(region)
        # mean over the layer in its mapped coordinate: volumes scale per layer uniformly
        mean_old = np.sum(H[mo] * old.grid.volumes()[mo]) / old.grid.volumes()[mo].sum()
        mean_new = np.sum(H_new[mn] * new.grid.volumes()[mn]) / new.grid.volumes()[mn].sum()
        assert mean_new == pytest.approx(mean_old, rel=1e-12), region
    bottom = old.grid.region_mask("bottom_collector")
    assert np.allclose(H_new[bottom], H[bottom], rtol=1e-14)
    # independently: each z layer stretches linearly, so its content scales with its height
    expected = remap_energy(old.grid, H, layer_bounds(config))
    assert energy == pytest.approx(expected, rel=1e-9)


def test_pots_differing_in_plan_are_refused(config):
    """The remap maps z only: two pots whose radial faces differ (beyond round-off) are
    refused with a clear error; round-off differences are accepted."""
    old = build_layers(config, "coarse", 0.12, 0.06)
    g = old.grid
    wider = g.with_material((g.faces[0] * 1.01, g.faces[1], g.faces[2]), g.material)
    with pytest.raises(ValueError, match="differ in more than their layer depths"):
        overlap_matrix(g, wider)
    rounded = g.with_material((g.faces[0] * (1 + 1e-12), g.faces[1], g.faces[2]), g.material)
    assert np.allclose(overlap_matrix(g, rounded), np.eye(g.shape[2]))
