"""Lumped heat losses against closed-form series-resistance calculations."""

import math

import pytest

from cellsim.config import load_config
from cellsim.lumped.thermal import heat_loss

NO_RADIATION = ["lining.shell_emissivity=0.0"]


SIDE_LINING = 0.115 + 0.115 + 0.07 + 0.01  # m, rusal-3kA.toml
OUTER = math.pi * (0.437 + SIDE_LINING) ** 2  # shell footprint
INNER = math.pi * 0.437**2
SPREAD = (OUTER - INNER) / math.log(OUTER / INNER)  # log-mean area of the bottom and lid linings


def series_bottom(T, Ta, h_in, h_out):
    R = 1 / (h_in * INNER) + 0.20 / (60 * INNER) + (0.065 / 1.1 + 0.10 / 0.14 + 0.01 / 40) / SPREAD \
        + 1 / (h_out * OUTER)
    return (T - Ta) / R


def cylinder_wall(r0, height):
    R, r = 0.0, r0
    for t, k in ((0.115, 4.0), (0.115, 1.2), (0.07, 0.15), (0.01, 40.0)):
        R += math.log((r + t) / r) / (2 * math.pi * k * height)
        r += t
    return R, 2 * math.pi * r * height


def test_bottom_and_lid_are_planar_series_resistances():
    cfg = load_config("rusal-3kA", NO_RADIATION)
    T, Ta = 1023.15, 298.15
    loss = heat_loss(cfg, T, alloy_depth=0.12, cathode_depth=0.06)
    assert loss.bottom == pytest.approx(series_bottom(T, Ta, 300.0, 10.0), rel=1e-9)
    rods = 6 * math.pi * 0.04**2
    R_lid = 1 / (60 * (INNER - rods)) + (0.08 / 1.0 + 0.10 / 0.14 + 0.005 / 40) / (SPREAD - rods) \
        + 1 / (10 * (OUTER - rods))
    assert loss.lid == pytest.approx((T - Ta) / R_lid, rel=1e-9)
    assert loss.collectors == pytest.approx(35 * rods * (T - 473.15) / 0.5, rel=1e-12)


def test_side_wall_is_a_cylindrical_series():
    cfg = load_config("rusal-3kA", NO_RADIATION)
    T, Ta, r0 = 1023.15, 298.15, 0.437
    loss = heat_loss(cfg, T, alloy_depth=0.12, cathode_depth=0.06)
    expected = 0.0
    # the wall reaches half-way into the bottom (0.175 m) and lid (0.185 m) linings
    for height, h_in in ((0.20 + 0.12 + 0.0875, 300.0), (0.045, 300.0), (0.06, 300.0), (0.15 + 0.0925, 60.0)):
        R_wall, A_out = cylinder_wall(r0, height)
        expected += (T - Ta) / (1 / (h_in * 2 * math.pi * r0 * height) + R_wall + 1 / (10 * A_out))
    assert loss.side == pytest.approx(expected, rel=1e-9)
    assert loss.ledge_thickness == 0.0


def test_ledge_thickness_closes_the_1d_freeze_front_balance():
    # Liquidus 5 K under the electrolyte and a conductive wall: a ledge must form.
    cfg = load_config("rusal-3kA", NO_RADIATION + ['electrolyte.liquidus="745 degC"',
                                                   'operation.temperature="750 degC"'])
    T, Ta, T_liq, r0, acd = 1023.15, 298.15, 1018.15, 0.437, 0.045
    loss = heat_loss(cfg, T, 0.12, 0.06)
    q = 300.0 * (T - T_liq)
    A_in = 2 * math.pi * r0 * acd
    R_wall, A_out = cylinder_wall(r0, acd)
    ledge = 1.5 * A_in * ((T_liq - Ta) / (q * A_in) - R_wall - 1 / (10 * A_out))
    assert ledge > 0.0
    assert loss.ledge_thickness == pytest.approx(ledge, rel=1e-7)


def test_radiation_increases_losses_and_keeps_the_shell_between_melt_and_ambient():
    T = 1023.15
    hot = heat_loss(load_config("rusal-3kA"), T, 0.12, 0.06)
    cold = heat_loss(load_config("rusal-3kA", NO_RADIATION), T, 0.12, 0.06)
    assert hot.total > cold.total
    assert 298.15 < hot.shell_temperature < cold.shell_temperature < T


@pytest.mark.parametrize("liquidus", ["680 degC", "745 degC"])  # without and with a ledge
def test_one_kernel_call_gives_the_per_face_roots_bit_for_bit(liquidus):
    """HeatPaths.loss (all faces in one kernel call, kernels/roots.pot_loss) returns exactly
    what one root per face from Python (loss_by_face) gives, ledge or not, radiation on."""
    from cellsim.lumped.thermal import HeatPaths

    cfg = load_config("rusal-3kA", [f'electrolyte.liquidus="{liquidus}"'])
    paths = HeatPaths(cfg, 0.12, 0.06)
    ledges = 0
    for T in (1019.0, 1023.15, 1031.7, 1060.0, 1100.0):
        a, b = paths.loss(T), paths.loss_by_face(T)
        assert a == b, (T, a, b)  # every field equal, not close
        ledges += a.ledge_thickness > 0.0
    assert (ledges > 0) == (liquidus == "745 degC")  # the ledge branch ran where it should
