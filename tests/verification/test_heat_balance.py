"""Global energy balance of transient steps closes to 1e-10 relative, per step.

An r-z pot in miniature: a melt (electrolyte with latent heat, freezing at the wall) in a
lining losing heat by convection and radiation, a Joule source, and a controlled heater
that first has to work and then is switched off by the source. Every step: stored-energy
change = sources + heater - losses to 1e-10 of the largest term.
"""

import numpy as np
import pytest

from cellsim.fields.grid import Grid
from cellsim.fields.heat import BoxSource, Heater, HeatProperties, HeatSolver, SurfaceBC

pytestmark = pytest.mark.verification


def mini_pot():
    rf = np.concatenate((np.linspace(0, 0.3, 13), 0.3 + np.linspace(0, 0.1, 6)[1:]))
    zf = np.linspace(0.0, 0.4, 21)
    grid0 = (rf, np.array([0.0, 2 * np.pi]), zf)
    rc, zc = 0.5 * (rf[1:] + rf[:-1]), 0.5 * (zf[1:] + zf[:-1])
    melt = (rc[:, None, None] < 0.3) & (zc[None, None, :] > 0.1) & (zc[None, None, :] < 0.3)
    grid = Grid("rz", grid0, np.where(melt, 1, 0).astype(np.int32), {"lining": 0, "electrolyte": 1})
    one = np.ones(grid.shape)
    props = HeatProperties(np.where(melt, 1.5, 1.0), np.where(melt, 10.0, 1.0), np.where(melt, 2.4e6, 2e6) * one,
                           np.where(melt, 2.4e6, 2e6) * one, np.where(melt, 970.0, 0.0), np.where(melt, 973.0, 0.0),
                           np.where(melt, 4.9e8, 0.0))
    surface = SurfaceBC(h=10.0, value=298.15, emissivity=0.8, ambient=298.15)
    bcs = {"r+": surface, "z-": surface, "z+": surface}
    return grid, props, bcs, melt


def test_energy_closes_every_step_with_phase_change_radiation_and_heater():
    grid, props, bcs, melt = mini_pot()
    solver = HeatSolver(grid, props, bcs)
    heater = Heater(region=melt, control=melt, set_point=1000.0, max_power=2e4)
    state = solver.state(np.where(melt, 1010.0, 700.0))
    joule = np.where(melt, 2e4, 0.0) * grid.volumes()  # 2e4 W/m3 as power per cell [W]
    worked, surplus, frozen = False, False, False
    for i in range(30):
        src = {"joule": joule * (0.2 if i < 10 else 6.0)}
        state, bal = solver.step(state, 1800.0, src, heater)
        assert bal.relative_residual <= 1e-10, bal
        worked |= bal.heater > 0
        surplus |= bal.margin > 0
        frozen |= bool(np.any(state.frac[melt] < 1))
    assert worked and surplus and frozen


def test_steady_heater_holds_the_set_point_and_balances():
    grid, props, bcs, melt = mini_pot()
    solver = HeatSolver(grid, props, bcs)
    heater = Heater(region=melt, control=melt, set_point=1000.0)
    state, bal = solver.steady({"joule": np.where(melt, 1e3, 0.0) * grid.volumes()}, heater)
    vol = grid.volumes()
    assert np.sum(state.T[melt] * vol[melt]) / vol[melt].sum() == pytest.approx(1000.0, abs=1e-8)
    assert bal.heater > 0 and bal.relative_residual <= 1e-10
    assert bal.heater + bal.total_source == pytest.approx(bal.total_loss, rel=1e-10)


def test_box_source_is_the_same_source_as_its_full_grid_array():
    """A source given on a box of the grid (the current's Joule heat on its sub-grid) enters
    the step and the balance exactly as the same powers placed on the full grid."""
    grid, props, bcs, melt = mini_pot()
    box = (slice(3, 12), slice(None), slice(4, 16))
    rng = np.random.default_rng(5)
    power = rng.uniform(0.0, 50.0, grid.material[box].shape)  # W per cell
    full = np.zeros(grid.shape)
    full[box] = power
    heater = Heater(region=melt, control=melt, set_point=1000.0)
    out = []
    for src in (full, BoxSource(box, power)):
        solver = HeatSolver(grid, props, bcs)
        state = solver.state(np.where(melt, 1010.0, 700.0))
        state, bal = solver.step(state, 1800.0, {"joule": src}, heater)
        out.append((state, bal))
    (a, bal_a), (b, bal_b) = out
    assert np.array_equal(a.T, b.T) and bal_a.heater == bal_b.heater
    assert bal_a.sources == bal_b.sources
    assert bal_b.sources["joule"]["electrolyte"] + bal_b.sources["joule"]["lining"] == pytest.approx(power.sum(), rel=1e-14)
