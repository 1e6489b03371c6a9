"""The current solver on stacks and pots: exact series solution, charge conservation,
energy identity of the voltage breakdown, 2D r-z against 3D, clear failures."""

import numpy as np
import pytest

from cellsim.fields.current import CurrentSolver, Electrode, Kinetics, Terminal
from cellsim.fields.grid import Layer, layered_box, layered_cylinder
from cellsim.fields.solvers import ConvergenceError
from cellsim.fields.stack import stack_voltage_breakdown

pytestmark = pytest.mark.verification

SIGMA = {"anode_collector": 1.0e5, "anode_alloy": 3.0e6, "electrolyte": 150.0, "cathode_metal": 4.0e6,
         "cathode_collector": 8.0e4, "lid": 0.0}
STACK = [("anode_collector", 0.3, 1.0e5), ("anode_alloy", 0.12, 3.0e6), ("electrolyte", 0.05, 150.0),
         ("cathode_metal", 0.1, 4.0e6), ("cathode_collector", 0.2, 8.0e4)]


def electrodes(model="butler_volmer", i0=2.0e4):
    k = Kinetics(i0=i0, temperature=1023.0, alpha_a=0.6, alpha_c=0.4, model=model)
    return [Electrode("anode", "anode_alloy", "electrolyte", k),
            Electrode("cathode", "cathode_metal", "electrolyte", k)]


@pytest.mark.parametrize("model", ["butler_volmer", "linear"])
def test_uniform_stack_equals_series_calculation(model):
    area, current = 0.8, 3000.0
    an, ca = (e.kinetics for e in electrodes(model))
    got = stack_voltage_breakdown(STACK, area, current, an, ca)
    r = {name: t / (s * area) for name, t, s in STACK}
    j = current / area
    expect = {"electrolyte_ohmic": current * r["electrolyte"],
              "anode_alloy_ohmic": current * r["anode_alloy"],
              "cathode_metal_ohmic": current * r["cathode_metal"],
              "collectors_ohmic": current * (r["anode_collector"] + r["cathode_collector"]),
              "anode_overpotential": an.overpotential(j), "cathode_overpotential": -ca.overpotential(-j)}
    expect["terminal_voltage"] = sum(expect.values())
    assert set(got) == set(expect)
    for key, val in expect.items():
        assert got[key] == pytest.approx(val, rel=1e-9), key
    if model == "butler_volmer":  # asymmetric transfer coefficients: the two etas differ
        assert got["anode_overpotential"] != pytest.approx(got["cathode_overpotential"], rel=1e-3)


def pot_rz(n_r=24, scale=1):
    layers = [Layer(n, t, c * scale) for n, t, c in
              (("anode_collector", 0.1, 4), ("anode_alloy", 0.12, 6), ("electrolyte", 0.05, 8),
               ("cathode_metal", 0.1, 5), ("cathode_collector", 0.1, 4))]
    return layered_cylinder(0.4, n_r * scale, layers, r_ratio=0.97)


def sigma_of(grid, rng=None):
    sig = np.zeros(grid.shape)
    for name, mid in grid.regions.items():
        sig[grid.material == mid] = SIGMA[name]
    if rng is not None:  # temperature-like variation within the layers
        sig *= 1.0 + 0.3 * rng.random(grid.shape)
    return sig


def five_layer_box(seed):
    """A 0.6 x 0.5 m box of the five layers between two collectors (10 x 8 x 22 cells) and a
    random conductivity field of the given seed."""
    layers = [Layer("anode_collector", 0.1, 3), Layer("anode_alloy", 0.1, 4), Layer("electrolyte", 0.05, 6),
              Layer("cathode_metal", 0.1, 5), Layer("cathode_collector", 0.1, 4)]
    grid = layered_box(0.6, 0.5, 10, 8, layers, [])
    return grid, sigma_of(grid, np.random.default_rng(seed))


def section_currents(sol):
    """Net current through every horizontal face plane [A] (z faces summed)."""
    return sol.face_current[2].sum(axis=(0, 1))


def test_rz_pot_conservation_and_energy_identity():
    grid = pot_rz()
    # the anode terminal is a central disc: current spreads radially in the collector
    r = grid.centres(0)
    grid.material[r > 0.25, :, 0] = grid.regions["anode_alloy"]  # bottom cells outside: not collector
    solver = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"))
    current = 2500.0
    sol = solver.solve(sigma_of(grid, np.random.default_rng(1)), current)
    np.testing.assert_allclose(section_currents(sol), current, rtol=1e-10)
    total = sum(v for k, v in sol.breakdown.items() if k != "terminal_voltage")
    assert total == pytest.approx(sol.terminal_voltage, rel=1e-10)
    assert sol.breakdown["terminal_voltage"] == pytest.approx(sol.terminal_voltage, rel=1e-10)
    p = sol.joule_power.sum() + sum(sol.interface_power.values())
    assert p == pytest.approx(sol.terminal_voltage * current, rel=1e-10)
    assert np.all(sol.current_density[2][grid.material != grid.regions["anode_alloy"]] >= -1e-6)
    assert sol.newton_iterations <= 5


def test_box_with_rods_conservation():
    from cellsim.fields.grid import Block
    layers = [Layer("anode_collector", 0.1, 3), Layer("anode_alloy", 0.1, 4), Layer("electrolyte", 0.05, 6),
              Layer("cathode_metal", 0.1, 5), Layer("lid", 0.1, 4)]
    rods = [Block("cathode_collector", (0.1, 0.3), (0.15, 0.45), (0.3, 0.45)),
            Block("cathode_collector", (0.5, 0.7), (0.15, 0.45), (0.3, 0.45))]
    grid = layered_box(0.8, 0.6, 16, 12, layers, rods)
    solver = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"), solver="multigrid")
    current = 1000.0
    sol = solver.solve(sigma_of(grid, np.random.default_rng(2)), current)
    np.testing.assert_allclose(section_currents(sol), current, rtol=1e-10)
    lid = grid.material == grid.regions["lid"]
    assert np.all(sol.joule_power[lid] == 0.0)
    assert sol.breakdown["collectors_ohmic"] > 0.0
    # a second solve with slightly changed sigma reuses the solver and the interface state
    sol2 = solver.solve(sigma_of(grid, np.random.default_rng(2)) * 1.01, current)
    assert sol2.newton_iterations <= sol.newton_iterations
    np.testing.assert_allclose(section_currents(sol2), current, rtol=1e-10)


def test_rz_and_3d_cylinder_agree():
    """A pot with a central anode disc in 2D r-z and on a 3D Cartesian grid (staircase
    circle). Stated tolerance: terminal voltage and every breakdown entry within 1 %
    (measured 0.6 %), except the anode-alloy ohmic drop, dominated by spreading from the
    staircase anode disc of 10 cells radius, within 3.5 % (measured 2.7 %)."""
    layers = [Layer(nm, t, c) for nm, t, c in (("anode_collector", 0.1, 6), ("anode_alloy", 0.12, 6),
                                               ("electrolyte", 0.05, 8), ("cathode_metal", 0.1, 6),
                                               ("cathode_collector", 0.1, 6))]
    rz = layered_cylinder(0.4, 40, layers)
    rz.material[rz.centres(0) > 0.2, :, 0] = rz.regions["anode_alloy"]
    current = 2000.0
    sol_rz = CurrentSolver(rz, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector")).solve(sigma_of(rz), current)
    n = 40
    box = layered_box(0.8, 0.8, n, n, layers)
    x = box.centres(0) - 0.4
    rr = np.hypot(x[:, None], x[None, :])
    box.material[rr > 0.2, 0] = box.regions["anode_alloy"]
    sig = sigma_of(box)
    sig[rr > 0.4] = 0.0  # outside the cylinder: inactive
    sol_3d = CurrentSolver(box, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"), solver="multigrid").solve(sig, current)
    rel = {k: sol_3d.breakdown[k] / v - 1.0 for k, v in sol_rz.breakdown.items()}
    tol = {k: 3.5e-2 if k == "anode_alloy_ohmic" else 1.0e-2 for k in rel}
    assert all(abs(rel[k]) <= tol[k] for k in rel), rel


def test_floating_region_raises_clear_error():
    grid = pot_rz(n_r=6)
    sig = sigma_of(grid)
    sig[:, :, grid.material[0, 0] == grid.regions["electrolyte"]] = 0.0  # cut the cell in two
    solver = CurrentSolver(grid, electrodes(), Terminal("z-"), Terminal("z+"))
    with pytest.raises(ConvergenceError, match="no conducting path"):
        solver.solve(sig, 1000.0)


def test_multigrid_current_builds_one_hierarchy_per_newton_iteration(monkeypatch):
    """The u solve reuses the w solve's multigrid hierarchy (the same operator): one update
    per Newton iteration after the first call, and the potentials of a direct solve."""
    from cellsim.fields import solvers
    grid, sig = five_layer_box(5)
    mg = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                       Terminal("z+", "cathode_collector"), solver="multigrid")
    mg.solve(sig, 800.0)
    updates = []
    real = solvers.LinearSolver.update
    monkeypatch.setattr(solvers.LinearSolver, "update", lambda self, *a, **k: (updates.append(1), real(self, *a, **k)))
    sol = mg.solve(sig * 1.01, 800.0)
    assert len(updates) == sol.newton_iterations
    direct = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"), solver="direct").solve(sig * 1.01, 800.0)
    np.testing.assert_allclose(sol.phi, direct.phi, rtol=0, atol=1e-9 * np.abs(direct.phi).max())
    np.testing.assert_allclose(sol.terminal_voltage, direct.terminal_voltage, rtol=1e-9)


@pytest.mark.parametrize("kind", ["direct", "multigrid"])
def test_polish_that_cannot_balance_the_charge_raises(kind):
    """The polish after Newton corrects phi until the cell's charge imbalance is below 1e-12 I
    or its rounding floor; if its corrections cannot get there (here they are made zero, and
    the Newton solves are loose so the imbalance starts far above the floor) the solve stops
    with a ConvergenceError naming the imbalance, never returns the unbalanced potential."""
    grid, sig = five_layer_box(5)
    solver = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"), solver=kind)
    sol = solver.solve(sig, 800.0)  # builds the linear solver; the polish balances the charge
    np.testing.assert_allclose(section_currents(sol), 800.0, rtol=1e-10)
    real = solver._solver.solve
    newton_rtol = 1e-8

    def useless_corrections(b, x0=None, rtol=1e-12, **k):
        x = real(b, x0=x0, rtol=rtol, **k)
        return x if rtol == newton_rtol else np.zeros_like(x)  # the polish asks other rtols

    solver._solver.solve = useless_corrections
    with pytest.raises(ConvergenceError, match=r"charge imbalance .* after 3 corrections"):
        solver.solve(sig * 1.01, 800.0, rtol=newton_rtol)


@pytest.mark.parametrize("newton_rtol", [None, 1e-10, 1e-9])
def test_iterative_polish_balances_the_charge_in_one_correction(newton_rtol):
    """With an iterative backend the polish's correction solve also holds its residual's
    1-norm below POLISH_L1_SHARE of the rounding floor, so from the Newton solves at the
    tolerances a campaign asks (None: WU_RTOL_ITERATIVE, W_RTOL_STEP; here ~3000x the floor)
    one correction brings the imbalance below the floor; the charge is then balanced (the
    polish's own test, and the face currents' sums). Looser Newton solves (1e-8: 2.6e5x) take
    a second correction, as before."""
    from cellsim.fields import current as cur
    from cellsim.kernels import fv
    grid, sig = five_layer_box(11)
    solver = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"), solver="multigrid")
    solver.solve(sig, 800.0)
    real, asked, seen = solver._solver.solve, [], []

    def counted(b, x0=None, rtol=1e-12, **k):
        asked.append(rtol)
        return real(b, x0=x0, rtol=rtol, **k)

    polish = cur.CurrentSolver._polish

    def entry(self, g, op, b, phi, *a, **k):  # the imbalance the polish starts from, in floors
        r = np.empty_like(phi)
        fv.residual(*g, phi, b, r)
        floor = cur.EPS * np.sum(cur.StencilOperator(*g).diagonal() * np.abs(phi))
        seen.append(np.sum(np.abs(r)) / floor)
        return polish(self, g, op, b, phi, *a, **k)

    solver._solver.solve = counted
    solver._polish = entry.__get__(solver)
    sol = solver.solve(sig * 1.01, 800.0, rtol=newton_rtol)
    assert seen and seen[0] > 3.0  # far above the floor: the correction has work to do
    assert asked.count(cur.POLISH_RTOL_ITERATIVE) == 1
    np.testing.assert_allclose(section_currents(sol), 800.0, rtol=1e-10)


@pytest.mark.parametrize("kind", ["direct", "multigrid"])
@pytest.mark.parametrize("rtol", [1e-12, 1e-8, 1e-6])
def test_face_currents_conserve_the_current_whatever_the_newton_solves_tolerance(kind, rtol):
    """Every horizontal section carries the pot current to 1e-10 whatever the tolerance of the
    Newton iterations' linear solves: the polish balances the charge of the potential, and
    the interface currents are those of the polished potential (before, loose solves left the
    interface faces with the unpolished currents: sections off by 2e-6..6e-6 at rtol 1e-8)."""
    grid, sig = five_layer_box(5)
    solver = CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                           Terminal("z+", "cathode_collector"), solver=kind)
    sol = solver.solve(sig, 800.0, rtol=rtol)
    np.testing.assert_allclose(section_currents(sol), 800.0, rtol=1e-10)
    p = sol.joule_power.sum() + sum(sol.interface_power.values())
    assert p == pytest.approx(sol.terminal_voltage * 800.0, rel=1e-9)


def test_iterative_solver_from_its_last_potential_matches_a_fresh_solve(monkeypatch):
    """From its second call on, an iterative solver solves for phi from its last potential at
    the last voltage (p) and corrects the voltage step with w (phi = p + (V - V0) w) instead of
    superposing a fresh u: the same solution as a fresh solver's u + V w, to the solves'
    tolerance, and the same conservation, for a small step (sigma 0.1 % up) and a large one
    (the current 50 % up, where w is asked the full accuracy)."""
    from cellsim.fields import current as cur
    grid, sig = five_layer_box(7)

    def solver():
        return CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                             Terminal("z+", "cathode_collector"), solver="multigrid")

    kept = solver()
    kept.solve(sig, 800.0)
    asked = []
    real = cur.CurrentSolver._linear_solve
    monkeypatch.setattr(cur.CurrentSolver, "_linear_solve",
                        lambda self, g, b, x0, rtol=None: (asked.append(rtol), real(self, g, b, x0, rtol))[1])
    for s, current, w_rtol in ((sig * 1.001, 800.0, cur.W_RTOL_STEP), (sig * 1.001, 1200.0, None)):
        asked.clear()
        sol = kept.solve(s, current)
        # per Newton iteration p, then w (no u); w's tolerance from the first iteration's step
        assert len(asked) == 2 * sol.newton_iterations and asked[0::2] == [None] * sol.newton_iterations
        assert asked[1] == w_rtol
        fresh = solver().solve(s, current)
        np.testing.assert_allclose(section_currents(sol), current, rtol=1e-10)
        np.testing.assert_allclose(sol.phi, fresh.phi, rtol=0, atol=1e-9 * np.abs(fresh.phi).max())
        assert sol.terminal_voltage == pytest.approx(fresh.terminal_voltage, rel=1e-9)


def test_warm_state_starts_a_new_solver_as_the_old_solver_does():
    """A sync point keeps only ``warm_state`` (plain arrays: the checkpoint holds them): a new
    solver started from it solves bit for bit as one started from the old solver itself, and
    from the last potential (one Newton iteration, p and w, as the old solver's next call);
    a direct backend keeps none (its solves start from zero)."""
    grid, sig = five_layer_box(7)

    def solver(kind="multigrid"):
        return CurrentSolver(grid, electrodes(), Terminal("z-", "anode_collector"),
                             Terminal("z+", "cathode_collector"), solver=kind)

    old = solver()
    old.solve(sig, 800.0)
    state = old.warm_state()
    assert set(state) == {"j", "w", "u", "phi", "volt"} and state["phi"].shape == grid.shape
    a, b = solver(), solver()
    a.warm_start(old)
    b.warm_start({k: ([x.copy() for x in v] if k == "j" else v) for k, v in state.items()})
    sa, sb = a.solve(sig * 1.001, 800.0), b.solve(sig * 1.001, 800.0)
    assert np.array_equal(sa.phi, sb.phi) and sa.terminal_voltage == sb.terminal_voltage
    assert sb.newton_iterations == 1
    np.testing.assert_allclose(section_currents(sb), 800.0, rtol=1e-10)
    fresh = solver().solve(sig * 1.001, 800.0)
    np.testing.assert_allclose(sb.phi, fresh.phi, rtol=0, atol=1e-9 * np.abs(fresh.phi).max())
    direct = solver("direct")
    direct.solve(sig, 800.0)
    assert direct.warm_state() is None


def test_moved_layers_reuse_indices_but_not_geometry():
    """A remesh moves the layers' faces and keeps the material map: the current solver takes
    the interface and region indices from the last grid (cellsim.fields.current caches them
    by material map), but each grid's own areas (here the radius moves too, so an area
    taken from the old grid would be 21 % off). On the moved grid the solution equals a
    solve with the caches emptied (bit for bit), and the interface faces' areas are the
    rings' pi (r1^2 - r0^2)."""
    from cellsim.fields import current as cur

    grid = pot_rz()
    moved_z = grid.faces[2].copy()
    moved_z[10:] += 0.013  # the alloy thicker, everything above shifted up
    # the radius too (a remesh does not move it, the caches must not depend on it either)
    moved = grid.with_material((1.1 * grid.faces[0], grid.faces[1], moved_z), grid.material)
    args = (electrodes(), Terminal("z-", "anode_collector"), Terminal("z+", "cathode_collector"))
    CurrentSolver(grid, *args).solve(sigma_of(grid), 900.0)  # fills the caches
    warm = CurrentSolver(moved, *args)
    sol = warm.solve(sigma_of(moved), 900.0)
    cur._INDICES.clear()
    cold = CurrentSolver(moved.with_material(moved.faces, moved.material), *args)
    ref = cold.solve(sigma_of(moved), 900.0)
    np.testing.assert_array_equal(sol.phi, ref.phi)
    assert sol.breakdown == ref.breakdown
    r = moved.faces[0]
    for f in warm.faces:
        assert f.axis == 2
        i = np.unravel_index(f.lo, moved.shape)[0]
        np.testing.assert_allclose(f.area, np.pi * (r[i + 1] ** 2 - r[i] ** 2), rtol=1e-12)
    # the electrolyte's Joule power is the same region's on the moved grid (its own cells)
    assert sol.power_by_region["electrolyte"] == pytest.approx(
        float(sol.joule_power[moved.region_mask("electrolyte")].sum()), rel=1e-12)
