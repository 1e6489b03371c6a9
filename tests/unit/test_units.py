import math

import pytest

from cellsim.units import UnitError, parse_quantity


@pytest.mark.parametrize("text, dimension, expected", [
    ("4.5 cm", "length", 0.045),
    ("0.5 A/cm2", "current_density", 5000.0),
    ("0.5 A/cm^2", "current_density", 5000.0),
    ("750 degC", "temperature", 1023.15),
    ("1023.15 K", "temperature", 1023.15),
    ("1.2 W/(m K)", "thermal_conductivity", 1.2),
    ("1.2 W/m/K", "thermal_conductivity", 1.2),
    ("1 S/cm", "conductivity", 100.0),
    ("10 uohm m", "resistivity", 1e-5),
    ("35 uohm cm", "resistivity", 3.5e-7),
    ("0.481 kg/kWh", "emission_factor", 0.481 / 3.6e6),
    ("2.7 g/cm3", "density", 2700.0),
    ("1e-2 cm/s", "velocity", 1e-4),
    ("2 d", "time", 172800.0),
    ("10 kJ/mol", "molar_energy", 1e4),
    ("103.4 g/mol", "molar_mass", 0.1034),
])
def test_quantities_convert_to_si(text, dimension, expected):
    assert math.isclose(parse_quantity(text, dimension), expected, rel_tol=1e-12)


@pytest.mark.parametrize("text, dimension, fragment", [
    ("4.5 kg", "length", "expected a length"),
    ("4.5", "length", "expected a length"),
    ("4.5 furlongs", "length", "unknown unit"),
    ("cm", "length", "expected '<number> <unit>'"),
    ("750 degC", "length", "is a temperature"),
])
def test_bad_quantities_say_what_was_expected(text, dimension, fragment):
    with pytest.raises(UnitError, match=fragment):
        parse_quantity(text, dimension)


def test_degc_difference_has_no_offset():
    assert parse_quantity("10 degC", "temperature_difference") == 10.0
