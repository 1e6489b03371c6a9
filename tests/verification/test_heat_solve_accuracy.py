"""Newton linear-solve policy of the heat step: solving each Newton system only as accurately
as the Newton test needs (HeatSolver's lin_rtol_max, at most 1e-3), with the multigrid hierarchy kept
while the operator is unchanged and the heater response warm-started, gives the same steps as
solving every system to 1e-10 with fresh solver state.

Reference: the same 3D miniature pot (melt with latent heat freezing at the wall, convection
and radiation outside, Joule source, controlled heater) stepped with every linear solve to
relative residual 1e-10 (lin_rtol_max = lin_rtol) from zero and a new ShiftedSolver per step (the previous policy). Both
runs must also close the energy balance to 1e-10 per step.
"""

import numpy as np
import pytest

from cellsim.fields.grid import Grid
from cellsim.fields.heat import Heater, HeatProperties, HeatSolver, SurfaceBC
from cellsim.fields.heat_linear import ShiftedSolver

pytestmark = pytest.mark.verification


def mini_pot_3d():
    xf = np.concatenate((np.linspace(0, 0.3, 9), 0.3 + np.linspace(0, 0.1, 4)[1:]))
    zf = np.linspace(0.0, 0.4, 17)
    xc, zc = 0.5 * (xf[1:] + xf[:-1]), 0.5 * (zf[1:] + zf[:-1])
    melt = (xc[:, None, None] < 0.3) & (xc[None, :, None] < 0.3) & (zc[None, None, :] > 0.1) \
        & (zc[None, None, :] < 0.3)
    grid = Grid("xyz", (xf, xf, zf), np.where(melt, 1, 0).astype(np.int32), {"lining": 0, "electrolyte": 1})
    one = np.ones(grid.shape)
    props = HeatProperties(np.where(melt, 1.5, 1.0) * one, np.where(melt, 10.0, 1.0) * one,
                           np.where(melt, 2.4e6, 2e6) * one, np.where(melt, 2.4e6, 2e6) * one,
                           np.where(melt, 970.0, 0.0), np.where(melt, 973.0, 0.0), np.where(melt, 4.9e8, 0.0))
    surface = SurfaceBC(h=10.0, value=298.15, emissivity=0.8, ambient=298.15)
    return grid, props, {"x+": surface, "y+": surface, "z-": surface, "z+": surface}, melt


def run(policy_tight: bool):
    grid, props, bcs, melt = mini_pot_3d()
    tight = {"lin_rtol": 1e-10, "lin_rtol_max": 1e-10} if policy_tight else {}
    solver = HeatSolver(grid, props, bcs, solver="iterative", **tight)
    heater = Heater(region=melt, control=melt, set_point=1000.0, max_power=2e3)
    state = solver.state(np.where(melt, 1010.0, 700.0))
    joule = np.where(melt, 2e4, 0.0) * grid.volumes()  # 2e4 W/m3 as power per cell [W]
    out = []
    for i in range(12):
        if policy_tight:  # fresh solver state: no kept hierarchy, no warm start
            solver.linear = ShiftedSolver(grid.shape, "iterative")
            solver._dw_last = None
        src = {"joule": joule * (0.2 if i < 6 else 6.0)}
        state, bal = solver.step(state, 1800.0, src, heater)
        assert bal.relative_residual <= 1e-10, bal
        out.append((state.T.copy(), bal.heater, bal.heater_demand, bal.total_loss))
    return out


def test_loose_newton_solves_match_tight_solves():
    loose, tight = run(False), run(True)
    heated = False
    for (t1, p1, d1, l1), (t2, p2, d2, l2) in zip(loose, tight):
        # Newton stops at 1e-11 of the throughput: temperatures agree to ~1e-9 relative
        assert np.max(np.abs(t1 - t2)) <= 1e-6 * np.max(t2)
        assert np.max(np.abs(t1 - t2)) <= 1e-5  # K
        assert d1 == pytest.approx(d2, rel=1e-7, abs=1e-6)
        assert p1 == pytest.approx(p2, rel=1e-7, abs=1e-6)
        assert l1 == pytest.approx(l2, rel=1e-9)
        heated |= p2 > 0
    assert heated
