"""SpeciesField API: shapes, pools, options, errors (the campaign calls these)."""

import math

import numpy as np
import pytest

from cellsim.elements import ALL_ELEMENTS, IMPURITIES
from cellsim.fields.grid import Grid
from cellsim.fields.species import MetalPool, SpeciesField, SpeciesOptions, N_SPECIES

C_SALT = 2700.0 / 0.1034


def layered_rz(nr=6, n_salt=5, radius=0.4):
    """Alloy (3 cells) | electrolyte | cathode (3 cells) on an r-z grid [m]."""
    zf = np.concatenate([np.linspace(0.0, 0.12, 4), 0.12 + np.linspace(0.0, 0.045, n_salt + 1)[1:],
                         0.165 + np.linspace(0.0, 0.06, 4)[1:]])
    mat = np.zeros((nr, 1, zf.size - 1), np.int32)
    mat[:, :, 3:3 + n_salt], mat[:, :, 3 + n_salt:] = 1, 2
    return Grid("rz", (np.linspace(0, radius, nr + 1), np.array([0.0, 2 * np.pi]), zf), mat,
                {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2})


def test_from_masses_and_activity():
    masses = np.array([0.6, 0.33, 0.0, 0.0, 0.0, 0.0, 0.07, 0.0])
    pool = MetalPool.from_masses(masses, 1e-3)
    moles = masses / np.array([26.9815e-3, 55.845e-3, 63.546e-3, 28.085e-3, 54.938e-3, 65.38e-3,
                               24.305e-3, 47.867e-3])
    assert ALL_ELEMENTS[0] == "Al"
    assert pool.x_al == pytest.approx(moles[0] / moles.sum(), rel=1e-14)
    np.testing.assert_allclose(pool.moles, moles[1:], rtol=1e-14)
    assert MetalPool(pool.c, pool.c_total, pool.volume, a_al=0.5).activity_al == 0.5


def test_step_shapes_and_pool_update():
    grid = layered_rz()
    field = SpeciesField(grid, SpeciesOptions(salt_concentration=C_SALT))
    assert "SpeciesField(30 electrolyte cells" in repr(field)
    alloy = MetalPool(np.full(N_SPECIES, 100.0), 1e5, 0.06)
    cath = MetalPool(np.zeros(N_SPECIES), 8.7e4, 0.03)
    c = field.uniform(np.arange(N_SPECIES, dtype=float))
    np.testing.assert_allclose(field.inventory(c), np.arange(N_SPECIES), rtol=1e-13)
    out = field.step(600.0, c, alloy, cath, 1023.0)
    c_new, fa, fc = out
    assert c_new.shape == (N_SPECIES,) + grid.shape and fa.shape == fc.shape == (N_SPECIES,)
    assert np.all(c_new[:, ~field.mask] == 0.0)
    assert IMPURITIES.index("Mg") == 5 and fa[5] > 0.0  # Mg leaves the alloy


def test_bad_inputs():
    grid = layered_rz()
    with pytest.raises(ValueError, match="salt_film"):
        SpeciesOptions(salt_concentration=C_SALT, salt_film="none")
    with pytest.raises(ValueError, match="eddy_diffusivity"):
        SpeciesOptions(salt_concentration=C_SALT, eddy_diffusivity=-1.0)
    field = SpeciesField(grid, SpeciesOptions(salt_concentration=C_SALT))
    pool = MetalPool(np.zeros(N_SPECIES), 1e5, 0.06)
    with pytest.raises(ValueError, match="shape"):
        field.step(1.0, np.zeros((N_SPECIES, 2, 1, 2)), pool, pool, 1000.0)
    with pytest.raises(ValueError, match="reservoirs"):
        field.step(math.inf, np.zeros((N_SPECIES,) + grid.shape), pool, pool, 1000.0)
    mat = grid.material.copy()
    mat[mat == 2] = 1
    with pytest.raises(ValueError, match="both metal regions"):
        SpeciesField(Grid("rz", grid.faces, mat, grid.regions), SpeciesOptions(salt_concentration=C_SALT))


def test_on_the_reference_pot_with_its_current():
    """rusal-3kA, coarse r-z pot: options from the configuration, the CurrentSolution of the
    current grid passed as is; the local current density moves the surface Al activity only
    slightly at 0.5 A/cm2 (docs/species.md), and migration adds a drift toward the cathode."""
    from cellsim.config import load_config
    from cellsim.fields.current import CurrentSolver, Electrode, Kinetics, Terminal
    from cellsim.fields.pot import build_pot

    config = load_config("rusal-3kA")
    pot = build_pot(config, "coarse")
    grid = pot.current_grid()
    kin = Kinetics(5e4, 1023.0)
    solver = CurrentSolver(grid, [Electrode("anode", "anode_alloy", "electrolyte", kin),
                                  Electrode("cathode", "cathode_metal", "electrolyte", kin)],
                           Terminal("z-"), Terminal("z+", "rods"))
    sol = solver.solve(pot.sigma[pot.current_slice], 3000.0)
    opts = SpeciesOptions.from_config(config, migration=True)
    assert opts.k_salt == pytest.approx(1e-4) and opts.family == "fluoride"
    field = SpeciesField(grid, opts)
    alloy_mass = np.array([0.577, 0.025, 0.301, 0.014, 0.074, 0.0067, 0.0, 0.0012]) * 200.0
    alloy = MetalPool.from_masses(alloy_mass, 200.0 / 3200.0)
    cath = MetalPool.from_masses(np.array([80.0, 0, 0, 0, 0, 0, 0, 0]), 80.0 / 2349.0)
    c = field.uniform(np.array([0, 0, 0, 0, 0, 5.0, 0]))
    with_j = field.step(3600.0, c, alloy, cath, 1023.0, current=sol)
    without = field.step(3600.0, c, alloy, cath, 1023.0)
    fe = IMPURITIES.index("Fe")
    rel = with_j.flux_alloy_to_salt[fe] / without.flux_alloy_to_salt[fe] - 1.0
    assert 0.0 < rel < 1e-2  # Al leaving the surface raises the noble leak a little
    assert with_j.flux_salt_to_cathode[IMPURITIES.index("Mg")] > 0.0


def _staircase_xyz(n=(7, 6, 9)):
    """Alloy | electrolyte | cathode on an x-y-z grid whose electrolyte is cut by a stepped
    wall (insulator id 3): a region that is not a box, as on the 3D staircase pot."""
    rng = np.random.default_rng(7)
    faces = tuple(np.concatenate(([0.0], np.cumsum(rng.uniform(0.01, 0.03, k)))) for k in n)
    mat = np.zeros(n, np.int32)
    mat[:, :, 3:6], mat[:, :, 6:] = 1, 2
    for i in range(n[0]):  # the wall steps in x and y
        mat[i, n[1] - 1 - i // 2:, :] = 3
    return Grid("xyz", faces, mat, {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2, "lining": 3})


@pytest.mark.parametrize("make", [layered_rz, _staircase_xyz])
def test_inventory_and_add_placed_bit_for_bit(make):
    """``inventory`` (flat-index gather) and ``add_placed`` (adds at the spot's cells only)
    against their definitions, the mask gather's product and c + placed(...), element by
    element, bit for bit; ``c`` itself is not written."""
    field = SpeciesField(make(), SpeciesOptions(salt_concentration=C_SALT))
    rng = np.random.default_rng(3)
    c = np.where(field.mask, rng.uniform(0.0, 50.0, (N_SPECIES,) + field.grid.shape), 0.0)
    assert np.array_equal(field.inventory(c), c[:, field.mask] @ field.volumes)
    c0 = c.copy()
    for where in ("electrolyte", "wall", "anode"):
        moles = rng.uniform(0.0, 1e-3, N_SPECIES)
        moles[2] = 0.0
        out = field.add_placed(c, moles, where)
        assert np.array_equal(out, c + field.placed(moles, where))
        assert np.array_equal(c, c0)  # not written
        # the moles went to the spot's cells only, by volume
        np.testing.assert_allclose(field.inventory(out) - field.inventory(c), moles, rtol=1e-9, atol=1e-18)
    with pytest.raises(ValueError, match="'somewhere'"):
        field.add_placed(c, np.ones(N_SPECIES), "somewhere")
