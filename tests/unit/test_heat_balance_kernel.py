"""The lumped heat balance in one kernel (kernels/roots.heat_balance, heat_balance_root)
against the providers' Python it stands for: SlabElectrical.at (electrical.voltage_breakdown),
HeatPaths.loss and thermo.feed_heating at each temperature, and scipy's brentq on them."""

import math

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.kernels import roots
from cellsim.lumped import electrical
from cellsim.lumped.thermal import HeatLoss, HeatPaths
from cellsim.models import make_model
from cellsim.thermo import feed_heating

LUMPED = ['numerics.model="lumped"']
CASES = {
    "surplus": [],  # the 3 kA cell settles above its set point
    "linear kinetics": ['kinetics.model="linear"'],
    "ledge": ['electrolyte.liquidus="745 degC"'],
    "heater on": ['operation.current="1500 A"'],
    "heater limited": ['operation.current="1500 A"', 'operation.heater_max_power="50 W"'],
}


def cell_of(overrides):
    return make_model(load_config("rusal-3kA", LUMPED + overrides))


def python_margin(cell, layers, T):
    """The heat balance's terms at T from the providers' Python (the definition)."""
    cfg = cell.config
    point = cell.physics.electrical.at(cell, layers, T)
    loss = HeatPaths(cfg, layers.alloy_depth, layers.cathode_depth).loss(T)
    loss = HeatLoss(loss.side, loss.bottom, loss.lid, loss.collectors + point.clamp_heat,
                    loss.ledge_thickness, loss.shell_temperature)
    sink = cell.state.feed_rate * feed_heating(cfg.scrap.feed_temperature, T)
    return point.joule_heat - loss.total - sink, point.voltage, loss, point.joule_heat, sink


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_terms_equal_the_providers_python(case):
    cell = cell_of(CASES[case])
    layers, cfg = cell.layers(), cell.config
    paths = HeatPaths(cfg, layers.alloy_depth, layers.cathode_depth)
    el = cell.physics.electrical.balance_args(cell, layers)
    heat = paths.balance_args(cell.state.feed_rate, cfg.scrap.feed_temperature)
    out = np.empty(roots.BALANCE_TERMS)
    ledges = 0
    for T in np.linspace(cfg.electrolyte.liquidus + 1e-3, cfg.operation.temperature + 80.0, 23):
        status, _ = roots.heat_balance(T, el, *paths._faces, heat, out)
        assert status == 0
        margin, V, loss, joule, sink = python_margin(cell, layers, T)
        t = out.tolist()
        assert t[0] == margin and t[9] == joule and t[16] == sink, T  # equal, not close
        assert dict(zip(electrical.VOLTAGE_TERMS, t[1:9])) == V
        assert HeatLoss(*t[10:16]) == loss
        ledges += loss.ledge_thickness > 0.0
    if case == "ledge":  # the ledge branch ran
        assert ledges > 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_operating_point_with_the_kernel_equals_python(case):
    """The whole operating point (the set point, the surplus's or the limited heater's root)
    is the same with the kernel as with a Python callback per temperature, bit for bit."""
    cell = cell_of(CASES[case])
    thermal, layers = cell.physics.thermal, cell.layers()
    fast = thermal.operating_point(cell, layers, cell.physics.electrical)
    thermal.kernel = False
    slow = thermal.operating_point(cell, layers, cell.physics.electrical)
    assert fast == slow
    cfg = cell.config
    if case == "surplus":
        assert fast.temperature > cfg.operation.temperature and fast.heater_power == 0.0
    if case == "heater on":
        assert fast.temperature == cfg.operation.temperature and fast.heater_power > 0.0
    if case == "heater limited":
        assert fast.temperature < cfg.operation.temperature
        assert fast.heater_power == cfg.operation.heater_max_power


def test_root_equals_scipy_brentq():
    """heat_balance_root: scipy.optimize.brentq's iterates on the same residual (with and
    without an offset), and a bracket without a sign change reported as status 1."""
    from scipy.optimize import brentq

    cell = cell_of([])
    layers, cfg = cell.layers(), cell.config
    paths = HeatPaths(cfg, layers.alloy_depth, layers.cathode_depth)
    el = cell.physics.electrical.balance_args(cell, layers)
    heat = paths.balance_args(cell.state.feed_rate, cfg.scrap.feed_temperature)
    T_set = cfg.operation.temperature
    for offset in (0.0, 25.0, -40.0):
        T, status, _ = roots.heat_balance_root(T_set - 30.0, T_set + 60.0, offset, 1e-6, el,
                                               *paths._faces, heat)
        ref = brentq(lambda x: python_margin(cell, layers, x)[0] + offset, T_set - 30.0,
                     T_set + 60.0, xtol=1e-6)
        assert status == 0 and T == ref
    T, status, _ = roots.heat_balance_root(T_set + 500.0, T_set + 600.0, 0.0, 1e-6, el,
                                           *paths._faces, heat)
    assert status == 1 and math.isnan(T)


def test_overpotential_kernel_solves_butler_volmer():
    """electrical.overpotential (the kernel's Newton iteration) satisfies Butler-Volmer to
    round-off, asymmetric transfer coefficients included; asinh for symmetric ones."""
    from cellsim.units import FARADAY, GAS_CONSTANT

    T = 1023.15
    f = 3 * FARADAY / (GAS_CONSTANT * T)
    for j, i0, aa, ac in ((5e3, 1e4, 0.5, 0.5), (2e4, 3e3, 0.7, 0.3), (1.0, 5e4, 0.4, 0.6)):
        eta = electrical.overpotential(j, i0, aa, ac, T, "butler-volmer")
        rel = 1e-12 * max(1.0, i0 / j)  # the difference of exponentials cancels at small j / i0
        assert i0 * (math.exp(aa * f * eta) - math.exp(-ac * f * eta)) == pytest.approx(j, rel=rel)
        if aa == ac:
            assert eta == pytest.approx(math.asinh(j / (2 * i0)) / (aa * f), rel=1e-13)
