"""Sweep specs: expansion of lists, ranges and samples, and errors that name what is wrong."""

import math

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.sweep.spec import SweepSpecError, load_spec, si_unit


def write(tmp_path, body, name="s.toml"):
    path = tmp_path / name
    path.write_text(body)
    return path


GRID = """
[sweep]
name = "t"
base = "rusal-3kA"
set = ['schedule.duration="2 d"', 'numerics.model="lumped"']
[parameters]
"geometry.acd" = { start = "3 cm", stop = "6 cm", num = 4 }
"operation.current" = ["2.5 kA", "3000 A"]
"""


def test_grid_expands_every_combination_in_si(tmp_path):
    spec = load_spec(write(tmp_path, GRID))
    assert len(spec.cases) == 8
    acd = sorted({c.values[0] for c in spec.cases})
    assert np.allclose(acd, [0.03, 0.04, 0.05, 0.06])
    assert {c.values[1] for c in spec.cases} == {2500.0, 3000.0}
    assert spec.parameters[0].unit == "cm" and spec.parameters[0].display(0.05) == pytest.approx(5)
    assert [c.name for c in spec.cases][:2] == ["case-0000", "case-0001"]


def test_overrides_round_trip_through_the_config_loader(tmp_path):
    spec = load_spec(write(tmp_path, GRID))
    case = spec.cases[5]
    overrides, density = spec.overrides(case)
    assert density is None and overrides[0] == 'schedule.duration="2 d"'
    cfg = load_config(spec.base, overrides)
    assert cfg.geometry.acd == pytest.approx(case.values[0], rel=1e-14)
    assert cfg.operation.current == pytest.approx(case.values[1], rel=1e-14)


def test_si_unit_strings_parse_back():
    assert si_unit("current_density") == "m-2 A"
    assert si_unit("temperature") == "K"


def test_zip_and_current_density(tmp_path):
    spec = load_spec(write(tmp_path, """
[sweep]
base = "rusal-3kA"
design = "zip"
[parameters]
"operation.current_density" = ["0.4 A/cm2", "0.5 A/cm2"]
"operation.temperature" = ["740 degC", "760 degC"]
"""))
    assert len(spec.cases) == 2
    overrides, density = spec.overrides(spec.cases[1])
    assert density == pytest.approx(5000.0)
    assert spec.parameters[1].display(spec.cases[1].values[1]) == pytest.approx(760.0)
    assert spec.name == "s"  # defaults to the file name


@pytest.mark.parametrize("design,samples,expected", [("lhs", 10, 10), ("sobol", 16, 16),
                                                     ("saltelli", 8, 8 * (2 + 2))])
def test_sampled_designs_stay_in_bounds(tmp_path, design, samples, expected):
    spec = load_spec(write(tmp_path, f"""
[sweep]
base = "rusal-3kA"
design = "{design}"
samples = {samples}
seed = 3
[parameters]
"geometry.acd" = {{ bounds = ["3 cm", "60 mm"] }}
"kinetics.alpha_anodic" = {{ bounds = [0.3, 0.7] }}
"""))
    values = np.array([c.values for c in spec.cases])
    assert len(values) == expected
    assert values[:, 0].min() >= 0.03 and values[:, 0].max() <= 0.06
    assert values[:, 1].min() >= 0.3 and values[:, 1].max() <= 0.7
    assert load_spec(spec.path).cases == spec.cases  # seeded: the same cases every time


def test_saltelli_ab_matrices_mix_a_and_b(tmp_path):
    spec = load_spec(write(tmp_path, """
[sweep]
base = "rusal-3kA"
design = "saltelli"
samples = 4
[parameters]
"geometry.acd" = { bounds = ["3 cm", "6 cm"] }
"operation.current" = { bounds = ["2 kA", "4 kA"] }
"""))
    by = {(c.role, c.group): np.array(c.values) for c in spec.cases}
    for j in range(4):
        assert by[("AB1", j)][0] == by[("A", j)][0] and by[("AB1", j)][1] == by[("B", j)][1]
        assert by[("AB0", j)][0] == by[("B", j)][0] and by[("AB0", j)][1] == by[("A", j)][1]


@pytest.mark.parametrize("params,key,fragment", [
    ('"geometry.acd" = ["3 kg"]', "parameters.geometry.acd", "length"),
    ('"geometry.acdc" = ["3 cm"]', "parameters.geometry.acdc", "not one of"),
    ('"lining.side" = ["3 cm"]', "parameters.lining.side", "scalar"),
    ('"scrap.composition_wt_pct.Xx" = [0.1]', "parameters.scrap.composition_wt_pct.Xx", "element"),
    ('"geometry.acd" = { start = "3 cm", stop = "6 cm", num = 0 }', "parameters.geometry.acd.num", ">= 1"),
    ('"geometry.acd" = 3', "parameters.geometry.acd", "a list of values"),
])
def test_errors_name_file_key_value_and_expectation(tmp_path, params, key, fragment):
    path = write(tmp_path, f'[sweep]\nbase = "rusal-3kA"\n[parameters]\n{params}\n')
    with pytest.raises(SweepSpecError) as err:
        load_spec(path)
    assert err.value.key == key and str(path) in str(err.value) and fragment in str(err.value)


def test_sampled_design_errors(tmp_path):
    body = '[sweep]\nbase = "rusal-3kA"\ndesign = "sobol"\nsamples = {n}\n[parameters]\n' \
           '"geometry.acd" = {{ bounds = {b} }}\n'
    with pytest.raises(SweepSpecError, match="power of 2"):
        load_spec(write(tmp_path, body.format(n=12, b='["3 cm", "6 cm"]')))
    with pytest.raises(SweepSpecError, match="low < high"):
        load_spec(write(tmp_path, body.format(n=8, b='["6 cm", "3 cm"]')))
    with pytest.raises(SweepSpecError, match="bounds"):
        load_spec(write(tmp_path, body.format(n=8, b='["3 cm"]')))


def test_base_and_sweep_table_errors(tmp_path):
    with pytest.raises(SweepSpecError, match="sweep.base"):
        load_spec(write(tmp_path, '[sweep]\nbase = "no-such-cell"\n[parameters]\n"geometry.acd" = ["3 cm"]\n'))
    with pytest.raises(SweepSpecError, match="sweep.desing"):
        load_spec(write(tmp_path, '[sweep]\nbase = "rusal-3kA"\ndesing = "grid"\n'))
    with pytest.raises(SweepSpecError, match="an existing sweep TOML file"):
        load_spec(tmp_path / "missing.toml")


def test_base_path_is_relative_to_the_spec(tmp_path):
    (tmp_path / "cell.toml").write_text('extends = "rusal-3kA"\n[meta]\nname = "mine"\n')
    spec = load_spec(write(tmp_path, '[sweep]\nbase = "cell.toml"\n[parameters]\n'
                                     '"scrap.composition_wt_pct.Fe" = [0.2, 0.4]\n'))
    cfg = load_config(spec.base, spec.overrides(spec.cases[1])[0])
    assert cfg.meta.name == "mine" and math.isclose(cfg.scrap.composition["Fe"], 0.004)
    assert spec.parameters[0].label == "scrap.composition_wt_pct.Fe [wt%]"


def test_library_entries_can_be_swept_by_name(tmp_path):
    from cellsim.config import load_config
    from cellsim.sweep.spec import load_spec

    path = tmp_path / "s.toml"
    path.write_text('[sweep]\nbase = "rusal-3kA"\n[parameters]\n"scrap.use" = ["ubc", "a380"]\n')
    spec = load_spec(path)
    configs = [load_config(spec.base, spec.overrides(case)[0]) for case in spec.cases]
    assert [c.scrap.name.split()[0] for c in configs] == ["UBC", "A380"]
    path.write_text('[sweep]\nbase = "rusal-3kA"\n[parameters]\n"geometry.use" = ["x"]\n')
    with pytest.raises(Exception, match="use"):
        load_spec(path)
