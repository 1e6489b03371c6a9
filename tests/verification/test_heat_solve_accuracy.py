"""Newton linear-solve policy of the heat step: solving each Newton system only as accurately
as the Newton test needs (HeatSolver's lin_rtol_max: at most 1e-3 for direct solves, 0.1 for
iterative ones), with the multigrid hierarchy
kept while the operator is unchanged, the heater response warm-started and solved only as accurately
as the Newton test needs (3D), and each step's first correction started from the Galerkin
combination of the last steps' (3D), gives the same steps as solving every system to 1e-10
from zero with fresh solver state.

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
            solver._dT_hist, solver._dw_adopted = [], None
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


def _operator(solver, state, dt):
    """The heat step's Newton operator at ``state``: face conductances with the boundary
    patched in, and the shift V C / dt (as HeatSolver._newton builds them)."""
    k = solver.props.conductivity(state.frac)
    g = [a.copy() for a in solver._interior(k)]
    T, _, C = solver._invert(state.H)
    solver._boundary(k, T, g)
    return g, solver.volumes / dt * C


def _apply(g, d, x):
    """(A + diag d) x, face by face: each interior face's flux g (x_lo - x_hi) leaves one
    cell and enters the other."""
    gx, gy, gz = g
    out = d * x
    out[:-1] += gx[1:-1] * (x[:-1] - x[1:])
    out[1:] += gx[1:-1] * (x[1:] - x[:-1])
    out[:, :-1] += gy[:, 1:-1] * (x[:, :-1] - x[:, 1:])
    out[:, 1:] += gy[:, 1:-1] * (x[:, 1:] - x[:, :-1])
    out[:, :, :-1] += gz[:, :, 1:-1] * (x[:, :, :-1] - x[:, :, 1:])
    out[:, :, 1:] += gz[:, :, 1:-1] * (x[:, :, 1:] - x[:, :, :-1])
    # boundary faces (the surface law's conductance to its outside value): diagonal only
    out[0] += gx[0] * x[0]
    out[-1] += gx[-1] * x[-1]
    out[:, 0] += gy[:, 0] * x[:, 0]
    out[:, -1] += gy[:, -1] * x[:, -1]
    out[:, :, 0] += gz[:, :, 0] * x[:, :, 0]
    out[:, :, -1] += gz[:, :, -1] * x[:, :, -1]
    return out


def test_galerkin_start_is_the_energy_norm_projection():
    """The start of a step's first correction (3D) is the A-orthogonal projection of the
    solution onto the last corrections: exact when the solution lies in their span, and
    never farther from the solution than zero in the energy norm (independent check: the
    operator applied by NumPy face by face, the projection by a dense solve)."""
    grid, props, bcs, melt = mini_pot_3d()
    solver = HeatSolver(grid, props, bcs, solver="iterative")
    state = solver.state(np.where(melt, 1010.0, 700.0))
    g, d = _operator(solver, state, 1800.0)
    rng = np.random.default_rng(1)
    basis = [rng.standard_normal(grid.shape) for _ in range(3)]
    x_true = 2.0 * basis[0] - 3.0 * basis[2]
    x0 = solver._galerkin_start(g, d, _apply(g, d, x_true), basis)
    assert np.max(np.abs(x0 - x_true)) <= 1e-9 * np.max(np.abs(x_true))
    for _ in range(3):  # a solution outside the span
        x_true = rng.standard_normal(grid.shape)
        b = _apply(g, d, x_true)
        x0 = solver._galerkin_start(g, d, b, basis)
        v = np.array([u.reshape(-1) for u in basis])
        av = np.array([_apply(g, d, u).reshape(-1) for u in basis])
        c = np.linalg.solve(v @ av.T, v @ b.reshape(-1))
        assert np.allclose(x0.reshape(-1), c @ v, rtol=1e-9, atol=1e-12)
        e0, e = x_true, x_true - x0
        assert np.sum(e * _apply(g, d, e)) <= np.sum(e0 * _apply(g, d, e0))


def test_remeshed_solver_adopts_the_history_and_r_z_keeps_none():
    grid, props, bcs, melt = mini_pot_3d()
    heater = Heater(region=melt, control=melt, set_point=1000.0, max_power=2e3)
    old = HeatSolver(grid, props, bcs, solver="iterative")
    state = old.state(np.where(melt, 1010.0, 700.0))
    for _ in range(3):
        state, _ = old.step(state, 1800.0, {"joule": np.where(melt, 2e4, 0.0) * grid.volumes()}, heater)
    assert len(old._dT_hist) == 3 and old._dw_last is not None
    new = HeatSolver(grid, props, bcs, solver="iterative")
    new.adopt_history(old)
    assert all(a is b for a, b in zip(new._dT_hist, old._dT_hist)) and new._dw_adopted is old._dw_last
    assert new._dw_last is None  # the response is re-solved on the new grid, from its projection
    rz = Grid("rz", (grid.faces[0], np.array([0.0, 2 * np.pi]), grid.faces[2]), grid.material[:, :1].copy(),
              grid.regions)
    assert not HeatSolver(rz, HeatProperties.constant(rz.shape, 1.0, 1e6), {})._adaptive
    # the policy follows the solver, not the geometry: iterative r-z solves take it too
    assert HeatSolver(rz, HeatProperties.constant(rz.shape, 1.0, 1e6), {}, solver="multigrid")._adaptive


def test_heater_response_sized_without_a_last_response_matches_direct():
    """3D (iterative solves) with no heater response of its own to size the next one from:
    after a remesh (the last grid's response, ``adopt_history``) or with none at all (a loose
    response first, then only the accuracy it shows the Newton test needs); and after a
    second remesh, the first solves sized by the first remesh's second-iteration residual.
    Each step against the same step with sparse LU solves (every linear solve exact)."""
    grid, props, bcs, melt = mini_pot_3d()
    heater = Heater(region=melt, control=melt, set_point=1000.0, max_power=2e3)
    joule = np.where(melt, 4e3, 0.0) * grid.volumes()
    old = HeatSolver(grid, props, bcs, solver="iterative")
    state = old.state(np.where(melt, 1010.0, 700.0))
    for _ in range(3):
        state, _ = old.step(state, 1800.0, {"joule": joule}, heater)
    adopted = HeatSolver(grid, props, bcs, solver="iterative")
    adopted.adopt_history(old)
    fresh = HeatSolver(grid, props, bcs, solver="iterative")
    assert fresh._dw_last is None and fresh._dw_adopted is None and adopted._dw_last is None
    assert fresh.lin_rtol_max > HeatSolver(grid, props, bcs, solver="lu").lin_rtol_max  # iterative: looser cap
    ref_state, ref = HeatSolver(grid, props, bcs, solver="lu").step(state, 1800.0, {"joule": joule}, heater)
    assert ref.heater > 0.0
    for solver in (adopted, fresh):
        new, bal = solver.step(state, 1800.0, {"joule": joule}, heater)
        assert bal.relative_residual <= 1e-10, bal
        assert np.max(np.abs(new.T - ref_state.T)) <= 1e-5  # K (Newton at 1e-11 of the throughput)
        assert bal.heater == pytest.approx(ref.heater, rel=1e-7, abs=1e-6)
        assert bal.total_loss == pytest.approx(ref.total_loss, rel=1e-9)
        assert solver._dw_last is not None
    # the next remesh: the first correction and the heater response sized by this remesh's
    # second-iteration residual (a second correction removes the rest), the same step
    assert adopted._nl_remesh > 0.0 and fresh._nl_remesh == 0.0
    again = HeatSolver(grid, props, bcs, solver="iterative")
    again.adopt_history(adopted)
    assert again._nl_remesh == adopted._nl_remesh
    new, bal = again.step(state, 1800.0, {"joule": joule}, heater)
    assert bal.newton_iterations >= 3 and bal.relative_residual <= 1e-10
    assert np.max(np.abs(new.T - ref_state.T)) <= 1e-5
    assert bal.heater == pytest.approx(ref.heater, rel=1e-7, abs=1e-6)
    assert bal.total_loss == pytest.approx(ref.total_loss, rel=1e-9)
