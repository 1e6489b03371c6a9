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
    if pot.grid.geometry == "rz":
        return float(np.average(T[-1, 0, :], weights=pot.grid.widths(2)))
    q = face_losses(balance)["side"] / pot.outer_side_area
    ts, ta, es = pot.ambient + 50.0, pot.ambient, pot.emissivity * STEFAN_BOLTZMANN
    for _ in range(50):
        f = pot.convection * (ts - ta) + es * (ts**4 - ta**4) - q
        step = f / (pot.convection + 4 * es * ts**3)
        ts -= step
        if abs(step) < 1e-10:
            break
    return float(ts)
