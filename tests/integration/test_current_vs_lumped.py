"""The field current solver and the lumped voltage model agree on a uniform stack.

Two independent implementations of the same physics: the lumped series formulas
(cellsim.lumped.electrical) and the finite-volume solve with Butler-Volmer interface jumps
(cellsim.fields.stack). On the rusal-3kA stack at the set point, with the rods and contacts
lumped into an equivalent top-collector slab, every voltage term agrees to 1e-8 relative
(the solver tolerance); the lumped model adds only the reversible and external terms, which
the field solve does not carry.
"""

import pytest

from cellsim.config import load_config
from cellsim.fields.current import Kinetics
from cellsim.fields.stack import stack_voltage_breakdown
from cellsim.lumped import electrical

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("model", ["butler-volmer", "linear"])
def test_uniform_stack_field_equals_lumped(model):
    cfg = load_config("rusal-3kA", [f'kinetics.model="{model}"'])
    T, I, area = cfg.operation.temperature, cfg.operation.current, cfg.geometry.area
    R = electrical.resistances(cfg, T, alloy_depth=0.12, cathode_depth=0.06)
    lumped = electrical.voltage_breakdown(cfg, I, T, R, a_al_anode=0.8)
    top_thickness = 0.5
    top_sigma = top_thickness / ((R.rods + R.contacts) * area)
    col = cfg.collectors
    layers = [
        ("anode_collector", col.bottom_thickness, 1.0 / col.bottom_resistivity),
        ("anode_alloy", 0.12, 1.0 / cfg.anode_alloy.resistivity),
        ("electrolyte", cfg.geometry.acd, electrical.electrolyte_conductivity(cfg.electrolyte, T)),
        ("cathode_metal", 0.06, 1.0 / cfg.cathode_metal.resistivity),
        ("cathode_collector", top_thickness, top_sigma),
    ]
    kin = cfg.kinetics
    name = "butler_volmer" if model == "butler-volmer" else "linear"
    anode = Kinetics(kin.anode_exchange_current_density, T, kin.alpha_anodic, kin.alpha_cathodic, 3, name)
    cathode = Kinetics(kin.cathode_exchange_current_density, T, kin.alpha_anodic, kin.alpha_cathodic, 3, name)
    field = stack_voltage_breakdown(layers, area, I, anode, cathode)
    for term in ("electrolyte_ohmic", "anode_alloy_ohmic", "cathode_metal_ohmic", "collectors_ohmic",
                 "anode_overpotential", "cathode_overpotential"):
        assert field[term] == pytest.approx(lumped[term], rel=1e-8), term
    internal = sum(lumped.values()) - lumped["reversible"] - lumped["external"]
    assert field["terminal_voltage"] == pytest.approx(internal, rel=1e-8)
