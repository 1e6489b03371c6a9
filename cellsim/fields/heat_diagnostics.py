"""What the field levels read off the pot's heat field: losses by face, the side-wall
ledge thickness and the shell temperature (beside cellsim.fields.heat, which computes the
field; cellsim.fields.pot builds the pot they describe)."""

from __future__ import annotations

import numpy as np

from cellsim.fields.heat import ledge_profile
from cellsim.lumped.thermal import FACES, HeatLoss
from cellsim.units import STEFAN_BOLTZMANN


def heat_loss(pot, state, balance) -> HeatLoss:
    """The pot's heat-loss record (the one the lumped level gives too) from a heat state and
    its balance: losses by face [W], side-wall ledge [m], shell temperature [K]."""
    faces = face_losses(balance)
    return HeatLoss(*(faces[f] for f in FACES), ledge_thickness(pot, state.frac),
                    shell_temperature(pot, state.T, balance))


def face_losses(balance) -> dict:
    """Losses [W] of a HeatBalance by face: side, bottom, lid, collectors (groups
    "face@side" summed into "face")."""
    out = {}
    for name, value in balance.losses.items():
        face = name.split("@")[0]
        out[face] = out.get(face, 0.0) + value
    return out


def ledge_thickness(pot, frac: np.ndarray) -> float:
    """Mean frozen electrolyte thickness at the side wall [m] of a PotModel: r-z the radial
    sum of (1 - f) dr averaged over the rows; 3D the frozen volume over the wetted wall area."""
    g = pot.grid
    if g.geometry == "rz":
        _, ledge = ledge_profile(g, frac, "electrolyte")
        return float(np.mean(ledge))
    salt = g.region_mask("electrolyte")
    frozen = float(np.sum(np.where(salt, 1.0 - frac, 0.0) * g.volumes()))
    rows = salt.any(axis=(0, 1))
    return frozen / (pot.perimeter * float(np.sum(g.widths(2)[rows])))


def shell_temperature(pot, T: np.ndarray, balance=None) -> float:
    """Shell temperature [K] of a PotModel. r-z: mean of the outer column of cells over the
    height, each cell weighted by its outer face area (2 pi R dz, so by dz: a graded mesh's
    fine cells at the layer faces do not count more); 3D: the mean outer surface temperature that sheds the side loss of
    ``balance`` by convection and radiation over ``outer_side_area`` (Newton; a staircase
    shell has no cell at the surface)."""
    if pot.grid.geometry == "rz":  # np.average(T[-1, 0, :], weights=dz): its operations
        dz = pot.grid.widths(2)
        return float(np.multiply(T[-1, 0, :], dz).sum() / dz.sum())
    q = face_losses(balance)["side"] / pot.outer_side_area
    ts, ta, es = pot.ambient + 50.0, pot.ambient, pot.emissivity * STEFAN_BOLTZMANN
    for _ in range(50):
        f = pot.convection * (ts - ta) + es * (ts**4 - ta**4) - q
        step = f / (pot.convection + 4 * es * ts**3)
        ts -= step
        if abs(step) < 1e-10:
            break
    return float(ts)


def region_flows(solver, state) -> dict:
    """Heat flows [W] of a heat state between the regions of its grid and out of them, the
    break-down of the losses by path (benchmarks/grid_convergence.py --flows; issue 17).

    ``solver`` a cellsim.fields.heat.HeatSolver, ``state`` a HeatState of it (conductivity at
    the state's liquid fraction, as the step that made it). Returns {(a, b): W} with a < b two
    region names (alphabetical) for the net flow from a to b through their shared faces (films
    included), and {(a, "out " + side): W} for the outward loss of region a's cells on an outer
    side (surface law linearised at the state, as in the balance). Per region, the flows out
    of it sum to its sources (the heater included) less its storage: at a steady state the
    region's heat balance (tests/unit/test_pot.py)."""
    from cellsim.fields.heat import _side, _sl
    from cellsim.kernels import fv

    grid, T = solver.grid, np.ascontiguousarray(state.T, dtype=np.float64)
    k = solver.props.conductivity(state.frac)
    g = solver.interior_conductances(k)
    names = {rid: name for name, rid in grid.regions.items()}
    m = grid.material
    flows = {}
    for a in range(3):
        n = grid.shape[a]
        if n < 2:
            continue
        flux = np.zeros(g[a].shape)
        fv.face_fluxes(g[a], T, a, flux)  # along +axis, lo cell to hi cell
        inner = [slice(None)] * 3
        inner[a] = slice(1, n)
        f = flux[tuple(inner)].reshape(-1)
        lo = np.take(m, np.arange(n - 1), axis=a).reshape(-1)
        hi = np.take(m, np.arange(1, n), axis=a).reshape(-1)
        cross = lo != hi
        for r1, r2, v in zip(lo[cross], hi[cross], f[cross]):
            n1, n2 = names[int(r1)], names[int(r2)]
            key, sign = ((n1, n2), 1.0) if n1 < n2 else ((n2, n1), -1.0)
            flows[key] = flows.get(key, 0.0) + sign * float(v)
    _, bnd = solver._boundary(k, T, g)
    for side, (gb, value, q) in bnd.items():
        a, high, _ = _side(side)
        cells = _sl(a, high, grid.shape[a], False)
        out = gb * (T[cells] - value) + q
        for rid in np.unique(m[cells]):
            key = (names[int(rid)], "out " + side)
            flows[key] = flows.get(key, 0.0) + float(np.sum(out[m[cells] == rid]))
    return flows
