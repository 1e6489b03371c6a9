"""Configuration loading: reference data load, and every class of bad input is rejected
before any computation with an error naming the file, the key, the value and what was expected."""

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsim.config import ConfigError, library_root, load_config
from cellsim.config.validate import alloy_density


def write(tmp_path: Path, body: str, name="cell.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def derived(tmp_path, body):
    return write(tmp_path, 'extends = "rusal-3kA"\n' + textwrap.dedent(body))


@pytest.mark.parametrize("name", ["rusal-3kA", "rusal-500A"])
def test_reference_cells_load_in_si(name):
    cfg = load_config(name)
    assert cfg.meta.name == name
    assert cfg.operation.temperature == pytest.approx(1023.15)
    assert cfg.geometry.acd == pytest.approx(0.045)
    # current density of the published design rule (docs/model.md, Reference cell design): 0.5 A/cm2 = 5000 A/m2
    assert cfg.operation.current / cfg.geometry.area == pytest.approx(5000.0, rel=1e-3)
    assert len(cfg.meta.sources) >= 5


def test_every_library_entry_loads(tmp_path):
    root = library_root()
    libs = {"scrap": "scrap", "specs": "product", "grids": "footprint", "electrolytes": "electrolyte",
            "linings": "lining", "metals": "cathode_metal", "alloys": "anode_alloy",
            "materials": "materials"}
    for folder, section in libs.items():
        for entry in sorted((root / folder).glob("*.toml")):
            path = derived(tmp_path, f'[{section}]\nuse = "{entry.stem}"\n')
            if entry.stem == "chloride-kcl-nacl-alf3":  # lighter than Al: cannot be the middle layer
                with pytest.raises(ConfigError, match="stack"):
                    load_config(path)
                continue
            load_config(path)


def test_extends_and_use_override_only_what_differs(tmp_path):
    path = derived(tmp_path, '[scrap]\nuse = "a380"\nmetallic_yield = 0.8\n[geometry]\nacd = "6 cm"\n')
    cfg = load_config(path)
    assert cfg.scrap.composition["Si"] == pytest.approx(0.085)
    assert cfg.scrap.metallic_yield == 0.8
    assert cfg.geometry.acd == pytest.approx(0.06)
    assert cfg.geometry.inner_radius == pytest.approx(0.437)  # inherited


def test_set_overrides_apply_last():
    cfg = load_config("rusal-3kA", ['geometry.acd="5 cm"', "operation.current=2.5kA"])
    assert cfg.geometry.acd == pytest.approx(0.05)
    assert cfg.operation.current == pytest.approx(2500.0)


def expect_error(path, key, value_fragment, expected_fragment, overrides=()):
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    err = info.value
    message = str(err)
    assert key in err.key, message
    assert value_fragment in repr(err.value), message
    assert expected_fragment in err.expected, message
    return err


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = derived(tmp_path, '[geometry]\nacdd = "4 cm"\n')
    err = expect_error(path, "geometry.acdd", "4 cm", "did you mean 'acd'")
    assert str(path) in str(err)


def test_missing_key_is_named(tmp_path):
    path = write(tmp_path, '[meta]\nname = "x"\n')
    expect_error(path, "operation", "<missing>", "table")


def test_missing_scalar_is_named(tmp_path):
    base = (library_root() / "cells" / "rusal-3kA.toml").read_text()
    body = re.sub(r"^acd = .*$", "", base, flags=re.M)  # the line, with or without a range
    path = write(tmp_path, body)
    expect_error(path, "geometry.acd", "<missing>", "length")


@pytest.mark.parametrize("body, key, value, expected", [
    ('[geometry]\nacd = "4.5 kg"\n', "geometry.acd", "4.5 kg", "expected a length"),
    ('[geometry]\nacd = 4.5\n', "geometry.acd", "4.5", "quoted string with a unit"),
    ('[geometry]\nacd = "-2 cm"\n', "geometry.acd", "-2 cm", "> 0"),
    ('[geometry]\nanode_alloy_depth = "0 m"\n', "geometry.anode_alloy_depth", "0 m", "> 0"),
    ('[[lining.side]]\nname = "x"\nthickness = "-1 cm"\nthermal_conductivity = "1 W/(m K)"\n',
     "lining.side[0].thickness", "-1 cm", "> 0"),
    ('[operation]\ncurrent = "nan A"\n', "operation.current", "nan A", "number"),
    ('[lining]\nshell_emissivity = nan\n', "lining.shell_emissivity", "nan", "finite"),
    ('[lining]\nshell_emissivity = 1.5\n', "lining.shell_emissivity", "1.5", "<= 1"),
    ('[kinetics]\nmodel = "tafel"\n', "kinetics.model", "tafel", "'butler-volmer'"),
    ('[scrap]\ncomposition_wt_pct = { Fe = 60.0, Si = 50.0 }\n', "scrap.composition_wt_pct",
     "Fe", "summing to at most 100"),
    ('[scrap]\ncomposition_wt_pct = { Fe = -1.0 }\n', "scrap.composition_wt_pct.Fe", "-1.0", ">= 0"),
    ('[scrap]\ncomposition_wt_pct = { Unobtainium = 1.0 }\n', "scrap.composition_wt_pct.Unobtainium",
     "1.0", "an element among"),
    ('[electrolyte]\ndensity = "2.30 g/cm3"\n', "electrolyte.density", "2.3 g/cm3", "cathode Al"),
    ('[electrolyte]\ndensity = "3.05 g/cm3"\n', "electrolyte.density", "3.05 g/cm3", "anode alloy"),
    ('[operation]\ntemperature = "690 degC"\n', "operation.temperature", "690", "liquidus"),
    ('[electrolyte]\nuse = "no-such-salt"\n', "electrolyte.use", "no-such-salt", "library entries"),
    ('[schedule]\nstop_on_spec = 1\n', "schedule.stop_on_spec", "1", "true or false"),
    ('[[lining.side]]\nname = "x"\nmaterial = "vermiculit"\nthickness = "1 cm"\n'
     'thermal_conductivity = "1 W/(m K)"\n', "lining.side[0].material", "vermiculit",
     "did you mean 'vermiculite'"),
    ('[materials.collectors]\nrods = "unobtainium"\n', "materials.collectors.rods", "unobtainium",
     "one of the solids of [materials]"),
    ('[materials.anode_alloy]\ndensity = "3.2 kg"\n', "materials.anode_alloy.density", "3.2 kg",
     "expected a density"),
])
def test_bad_values_are_rejected_with_file_key_value_expected(tmp_path, body, key, value, expected):
    path = derived(tmp_path, body)
    err = expect_error(path, key, value, expected)
    assert err.file is not None


def test_materials_library_gives_the_pot_heat_capacities():
    """Without a [materials] section the packaged entry 'pot' is used; each lining layer's
    rho c_p is its named solid's, which the pot builder puts in every cell of the layer."""
    from cellsim.fields.pot import build_pot

    cfg = load_config("rusal-3kA")
    solids = {s.name: s.volumetric_heat_capacity for s in cfg.materials.solids}
    assert solids["steel"] == 5.0e6 and solids["vermiculite"] == 0.5e6
    assert all(s.source for s in cfg.materials.solids)
    pot = build_pot(cfg, "coarse")
    for part in ("side", "bottom", "lid"):
        for i, layer in enumerate(getattr(cfg.lining, part)):
            cells = pot.heat.c_solid[pot.grid.region_mask(f"{part}_{i}")]
            assert np.all(cells == solids[layer.material]), (part, i)
    # a layer's solid is chosen by name: steel where the lining said vermiculite
    hot = load_config("rusal-3kA", ['lining.side[2].material="steel"'])
    cells = build_pot(hot, "coarse").heat.c_solid[pot.grid.region_mask("side_2")]
    assert np.all(cells == 5.0e6)


def test_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, "[geometry\nacd = 1\n")
    with pytest.raises(ConfigError, match="valid TOML") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_error_names_the_library_file_a_bad_value_came_from(tmp_path):
    salt = write(tmp_path, 'name = "x"\nfamily = "oxide"\n', name="salt.toml")
    path = derived(tmp_path, f'[electrolyte]\nuse = "{salt}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(salt)
    assert info.value.key == "electrolyte.family"


def test_ideal_mixing_density_of_al_33cu():
    # ideal mixing gives 3.09 g/cm3 for Al-33Cu at 750 degC
    rho = alloy_density({"Cu": 0.33})
    assert rho == pytest.approx(1 / (0.67 / 2349 + 0.33 / 8100))
    assert 3000 < rho < 3150


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.floats(max_value=0.0, allow_nan=False),
                       st.sampled_from([math.nan, math.inf, -math.inf])))
def test_property_nonpositive_or_nonfinite_depths_are_rejected(value):
    with pytest.raises(ConfigError) as info:
        load_config("rusal-3kA", [f'geometry.anode_alloy_depth="{value} m"'])
    assert info.value.key == "geometry.anode_alloy_depth"


def test_set_use_swaps_a_whole_library_entry():
    cfg = load_config("rusal-3kA", ['scrap.use="adc12"'])
    assert cfg.scrap.name.startswith("ADC12")
    assert cfg.scrap.composition["Si"] == pytest.approx(0.108)
    assert "Mg" in cfg.scrap.composition and "Ti" not in cfg.scrap.composition  # nothing left of UBC
    with pytest.raises(ConfigError, match="library entries"):
        load_config("rusal-3kA", ['scrap.use="gold"'])


def test_set_use_keeps_the_keys_the_configuration_set_itself():
    """--set scrap.use=X acts as if the file's ``use`` line named X: the cell's own scrap keys
    (rusal-3kA's 90 % Mg removal, a --set given before or after) stay on top of the new entry."""
    base = load_config("rusal-3kA")
    swapped = load_config("rusal-3kA", ['scrap.use="adc12"'])
    assert base.scrap.mg_removal_efficiency == pytest.approx(0.9)
    assert swapped.scrap.mg_removal_efficiency == pytest.approx(0.9)
    assert swapped.scrap.mg_removal_energy == base.scrap.mg_removal_energy
    before = load_config("rusal-3kA", ["scrap.mg_removal_efficiency=0.5", 'scrap.use="adc12"'])
    after = load_config("rusal-3kA", ['scrap.use="adc12"', "scrap.mg_removal_efficiency=0.5"])
    assert before.scrap == after.scrap
    assert before.scrap.mg_removal_efficiency == pytest.approx(0.5)
    assert before.scrap.composition == swapped.scrap.composition  # the entry's table, whole


def test_config_of_an_older_result_file_builds_the_same_pot():
    """A configuration stored before [materials] and the layers' ``material`` existed is read
    with the packaged materials and each layer's solid by the rule of that time: its pot has
    the heat capacities it had then (steel 5.0e6, insulating 0.5e6, other bricks 2.0e6)."""
    from cellsim.fields.pot import build_pot
    from cellsim.io import config_from_dict, config_to_dict, upgrade_config_dict

    cfg = load_config("rusal-3kA")
    old = config_to_dict(cfg)
    del old["materials"]
    for part in ("side", "bottom", "lid"):
        for layer in old["lining"][part]:
            del layer["material"]
    back = config_from_dict(type(cfg), upgrade_config_dict(old))
    assert back.materials == cfg.materials
    now, then = build_pot(cfg, "coarse").heat, build_pot(back, "coarse").heat
    assert np.array_equal(now.c_solid, then.c_solid) and np.array_equal(now.c_liquid, then.c_liquid)
    assert [layer.material for layer in back.lining.side] == ["fireclay", "fireclay", "vermiculite", "steel"]


def test_renamed_keys_of_older_files_are_still_read():
    """schedule.min_bath_liquid_fraction and stop_on_frozen_bath (one name for the electrolyte:
    now ..._electrolyte_...) set the same values as today's keys."""
    old = load_config("rusal-3kA", ["schedule.min_bath_liquid_fraction=0.3", "schedule.stop_on_frozen_bath=false"])
    new = load_config("rusal-3kA", ["schedule.min_electrolyte_liquid_fraction=0.3",
                                    "schedule.stop_on_frozen_electrolyte=false"])
    assert old.schedule == new.schedule
    assert new.schedule.min_electrolyte_liquid_fraction == 0.3 and not new.schedule.stop_on_frozen_electrolyte
