"""Route comparison: the primary share worked by hand, and the ranges from their sources."""

import math

from cellsim.config import load_config
from cellsim.routes import GAS_CO2, compare, primary_share
from cellsim.units import kWh


def test_primary_share_of_ubc_into_p1020a_by_hand():
    cfg = load_config("rusal-3kA")  # UBC into P1020A
    p, why = primary_share(cfg.scrap.composition, cfg.product)
    # UBC impurities sum to 0.21+0.42+0.25+1.1+1.5+0.10+0.02 = 3.60 wt%; P1020A allows 0.30:
    # 1 - 0.30/3.60 = 0.9167, above Zn (1 - 0.03/0.10 = 0.70) and Fe/Si (0.524)
    assert math.isclose(p, 1 - 0.30 / 3.60, rel_tol=1e-9) and "Al" in why


def test_scrap_within_spec_needs_no_primary():
    cfg = load_config("rusal-3kA", ['product.use="aa1070"', 'scrap.use="ubc"'])
    clean = {"Fe": 0.001, "Si": 0.0005}
    assert primary_share(clean, cfg.product)[0] == 0.0


def test_ranges_by_hand_on_the_world_grid():
    cfg = load_config("rusal-3kA")
    r = compare(cfg)
    ef = 0.481  # kg/kWh, world grid 2023 [OWID2024]
    assert math.isclose(r.hh_co2e_grid[0], 12.0 * ef, rel_tol=1e-9)  # 12 MWh/t x 0.481
    assert math.isclose(r.hh_energy[1], 14.0e3 * kWh / 1e3, rel_tol=1e-12)
    p = r.primary_share
    low = (1 - p) / 0.98 * 400 + p * 12000  # kWh/t: 0.4 MWh/t melted, 2 % loss
    assert math.isclose(r.remelt_energy[0] * 1e3 / kWh, low, rel_tol=1e-9)
    assert math.isclose(GAS_CO2, 2.1318, rel_tol=1e-4)  # 56.1 t/TJ x 38 MJ/m3 = 2.13 kg/m3
    co2_low = (1 - p) / 0.98 * (70 * GAS_CO2 / 1e3 + 0.090 * ef) + p * 12 * ef
    assert math.isclose(r.remelt_co2e_grid[0], co2_low, rel_tol=1e-9)
