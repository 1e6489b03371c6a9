"""Voltage terms of the lumped model against hand calculations."""

import math

import pytest

from cellsim.config import load_config
from cellsim.lumped import electrical

F, R = 96485.33212, 8.314462618


@pytest.mark.parametrize("j", [100.0, 5000.0, 5e4, 5e5])
def test_symmetric_butler_volmer_is_the_asinh_law(j):
    T, i0 = 1023.15, 5e4
    eta = electrical.overpotential(j, i0, 0.5, 0.5, T, "butler-volmer")
    assert eta == pytest.approx(2 * R * T / (3 * F) * math.asinh(j / (2 * i0)), rel=1e-12)


@pytest.mark.parametrize("alpha_a, alpha_c", [(0.3, 0.7), (0.7, 0.3), (0.5, 0.2)])
def test_asymmetric_butler_volmer_reproduces_the_current(alpha_a, alpha_c):
    T, i0, j = 1023.15, 2e3, 3e4
    eta = electrical.overpotential(j, i0, alpha_a, alpha_c, T, "butler-volmer")
    f = 3 * F / (R * T)
    assert i0 * (math.exp(alpha_a * f * eta) - math.exp(-alpha_c * f * eta)) == pytest.approx(j, rel=1e-10)


def test_linear_kinetics_and_the_physics_data_figure():
    # [Thonstad1996] i0; R_ct = RT/(nF i0) ~ 6 mOhm cm2 at i0 = 5 A/cm2, 750 degC -> ~3 mV at 0.5 A/cm2
    eta = electrical.overpotential(5000.0, 5e4, 0.5, 0.5, 1023.15, "linear")
    assert eta == pytest.approx(R * 1023.15 * 5000.0 / (3 * F * 5e4), rel=1e-12)
    assert 2.5e-3 < eta < 3.5e-3


def test_conductivity_is_arrhenius_about_the_reference():
    el = load_config("rusal-3kA").electrolyte
    assert electrical.electrolyte_conductivity(el, 1023.15) == pytest.approx(100.0)
    expected = 100.0 * math.exp(-10e3 / R * (1 / 1073.15 - 1 / 1023.15))
    assert electrical.electrolyte_conductivity(el, 1073.15) == pytest.approx(expected, rel=1e-12)


def test_voltage_breakdown_of_the_reference_stack_by_hand():
    """Numbers typed from configs/cells/rusal-3kA.toml, not read from the config object."""
    cfg = load_config("rusal-3kA")
    I, T = 3000.0, 1023.15
    area = math.pi * 0.437**2
    R_res = electrical.resistances(cfg, T, alloy_depth=0.12, cathode_depth=0.06)
    x_al = (67 / 26.9815) / (67 / 26.9815 + 33 / 63.546)  # Al-33Cu mole fraction
    V = electrical.voltage_breakdown(cfg, I, T, R_res, a_al_anode=x_al)
    eta = 2 * R * T / (3 * F) * math.asinh((I / area) / (2 * 5e4))
    hand = {
        "electrolyte_ohmic": I * 0.045 / (100.0 * area),
        "anode_alloy_ohmic": I * 35e-8 * 0.12 / area,
        "cathode_metal_ohmic": I * 25e-8 * 0.06 / area,
        "collectors_ohmic": I * (10e-6 * 0.20 / area + 2e-6 * 0.5 / (6 * math.pi * 0.04**2) + 10e-6),
        "anode_overpotential": eta,
        "cathode_overpotential": eta,
        "reversible": R * T / (3 * F) * math.log(1 / x_al),
        "external": 0.05,
    }
    assert set(V) == set(hand)
    for term, value in hand.items():
        assert V[term] == pytest.approx(value, rel=1e-10), term
    # design rule (docs/model.md): salt IR ~2.25 V at 0.5 A/cm2, 4.5 cm, 1 S/cm
    assert V["electrolyte_ohmic"] == pytest.approx(2.25, rel=0.01)


@pytest.mark.parametrize("model", ["butler-volmer", "linear"])
def test_slab_provider_gives_the_voltage_breakdown_exactly(model):
    """SlabElectrical.at keeps what does not depend on the temperature between calls on the
    same configuration, current and layers: its terms equal voltage_breakdown's exactly, at
    every temperature, and follow a new current or new layers."""
    from types import SimpleNamespace

    from cellsim.contracts import Layers
    from cellsim.lumped.providers import SlabElectrical

    cfg = load_config("rusal-3kA", [f'kinetics.model="{model}"'])
    prov = SlabElectrical(cfg)
    for I, alloy_depth, a_al in ((3000.0, 0.12, 0.62), (2500.0, 0.12, 0.62), (2500.0, 0.11, 0.6)):
        layers = Layers(alloy_depth, 0.06, 3200.0, a_al, 0.999)
        cell = SimpleNamespace(config=cfg, current=I)
        for T in (1000.0, 1023.15, 1040.0):
            R = electrical.resistances(cfg, T, layers.alloy_depth, layers.cathode_depth)
            V = electrical.voltage_breakdown(cfg, I, T, R, layers.a_al_alloy, layers.a_al_cathode)
            point = prov.at(cell, layers, T)
            assert point.voltage == V
            assert point.joule_heat == I * (sum(V.values()) - V["external"])
            assert point.clamp_heat == 0.5 * I**2 * R.rods
