"""Fuzzing configurations and result files (issue 14): every outcome is a clean error naming
the key or the object, or a run inside the operating window. Never a traceback, never a
result with a negative mass, a current efficiency outside (0, 1] or a NaN.

CI runs a few hundred examples. The long run (3,000 configurations through ``check``, as in
the issue) is the same test with more examples::

    CELLSIM_FUZZ_EXAMPLES=3000 NUMBA_NUM_THREADS=1 python -m pytest tests/property/test_fuzz.py -q

(docs/trust.md records its outcome).
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from cellsim.cli import EXIT_INPUT, EXIT_OUTSIDE_WINDOW, main
from cellsim.config.fields import spec_of
from cellsim.config.schema import Config

# example counts: CELLSIM_FUZZ_EXAMPLES sets all three (configurations through check; a tenth
# of it, at least 20, campaigns; half of it, at least 50, damaged files); CELLSIM_FUZZ_RUNS and
# CELLSIM_FUZZ_FILES set the campaigns and the damaged files on their own
EXAMPLES = int(os.environ.get("CELLSIM_FUZZ_EXAMPLES", "200"))
RUNS = int(os.environ.get("CELLSIM_FUZZ_RUNS", max(20, EXAMPLES // 10)))
FILES = int(os.environ.get("CELLSIM_FUZZ_FILES", max(50, EXAMPLES // 2)))

# CELLSIM_FUZZ_SEED: another seed (the long runs go in chunks with seeds 1, 2, ...); unset,
# the examples are derandomised, the same on every run
SEED = os.environ.get("CELLSIM_FUZZ_SEED")


def fuzz(n: int):
    config = settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=SEED is None, database=None)
    if SEED is None:
        return config
    return lambda test: seed(int(SEED))(config(test))


def _keys(cls=Config, prefix="") -> list[str]:
    out = []
    for f in dataclasses.fields(cls):
        spec = spec_of(f)
        key = prefix + (spec.key or f.name)
        if spec.kind == "section":
            out += _keys(spec.cls, key + ".")
        else:
            out.append(key)
    return out


KEYS = _keys()
UNITS = ["cm", "m", "mm", "km", "kA", "A", "degC", "K", "d", "h", "s", "S/cm", "g/cm3", "uohm m",
         "W/(m K)", "J/g", "kJ/mol", "kg", "V", "%", "", "km^400", "((cm))", "m/s/s", "cm^-1",
         "xyz", "1/0", "m^1e9"]
ELEMENTS = ["Al", "Fe", "Cu", "Si", "Mn", "Zn", "Mg", "Ti", "Xx", "Na"]

numbers = st.one_of(st.integers(min_value=-10**30, max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, -1, 1e-300, 5e-324, 1e300, 1e9, 0.5, 1, 100]))
quantities = st.builds(lambda x, u: f"{x!r} {u}".strip(), numbers, st.sampled_from(UNITS))
scalars = st.one_of(numbers, st.booleans(), st.text(max_size=20), quantities)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(ELEMENTS), numbers, max_size=3),
    st.recursive(st.integers(0, 3), lambda inner: st.lists(inner, max_size=2), max_leaves=6),
)


def toml(value) -> str:
    """A value as TOML text for --set."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) \
            else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + "}"


mutations = st.lists(st.tuples(st.sampled_from(KEYS), values), min_size=1, max_size=3)


def _numeric(cls=Config, prefix="", obj=None) -> list[tuple[str, object, float]]:
    """(TOML key, spec, reference value in SI) of every scalar numeric key of rusal-3kA."""
    from cellsim.config import load_config

    obj = load_config("rusal-3kA") if obj is None else obj
    out = []
    for f in dataclasses.fields(cls):
        spec, value = spec_of(f), getattr(obj, f.name)
        key = prefix + (spec.key or f.name)
        if spec.kind == "section":
            out += _numeric(spec.cls, key + ".", value)
        elif spec.kind in ("quantity", "number", "integer") and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            out.append((key, spec, float(value)))
    return out


NUMERIC = _numeric()
FACTORS = [-1.0, 0.0, 1e-3, 0.1, 0.5, 0.8, 0.95, 1.05, 1.25, 2.0, 3.0, 10.0, 1e3]


def _scaled(key_spec_value, factor) -> tuple[str, object]:
    from cellsim.units import SI_UNIT

    key, spec, base = key_spec_value
    v = base * factor
    if spec.kind == "integer":
        return key, int(max(min(v, 1e15), -1e15))
    if spec.kind == "number":
        return key, v / spec.scale
    return key, f"{v!r} {SI_UNIT[spec.dimension]}"


# values near the reference: most run, some leave the window or the valid range
scaled = st.lists(st.builds(_scaled, st.sampled_from(NUMERIC), st.sampled_from(FACTORS)),
                  min_size=1, max_size=3)


def _sets(muts) -> list[str]:
    args = []
    for key, value in muts:
        args += ["--set", f"{key}={toml(value)}"]
    return args


def _clean(result, allowed) -> None:
    event(f"exit {result.exit_code}")
    assert result.exit_code in allowed, (result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) <= 1 and len(result.output) < 20000
    if result.exit_code == EXIT_INPUT:
        assert errors and ("key '" in errors[0] or "--set" in errors[0]), errors


@fuzz(EXAMPLES)
@given(st.one_of(mutations, scaled))
def test_check_of_mutated_configurations_is_ok_or_a_clean_error(muts):
    _clean(CliRunner().invoke(main, ["check", "rusal-3kA", *_sets(muts)]), {0, EXIT_INPUT})


@fuzz(RUNS)
@given(st.one_of(scaled, mutations))
def test_runs_of_mutated_configurations_are_physical_or_refused(muts):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.h5"
        fixed = ["--set", 'numerics.model="lumped"', "--set", 'schedule.duration="2 d"',
                 "--set", 'schedule.time_step="1 h"', "--set", 'schedule.tap_interval="1 d"']
        result = CliRunner().invoke(main, ["run", "rusal-3kA", "-q", "-o", str(out),
                                           *_sets(muts), *fixed])
        _clean(result, {0, 1, EXIT_INPUT, EXIT_OUTSIDE_WINDOW})
        if result.exit_code != 0:
            return
        with h5py.File(out) as h5:
            assert h5.attrs["operating_window"] == "inside"
            s = {name: ds[()] for name, ds in h5["series"].items()}
            ce = s["current_efficiency"][1:]  # the start has passed no charge
            assert np.all((ce > 0) & (ce <= 1 + 1e-9))
            for name in ("cathode_depth", "alloy_depth", "temperature", "cell_voltage"):
                assert np.all(np.isfinite(s[name])) and np.all(s[name] >= 0), name
            for name in ("alloy_composition", "cathode_composition", "electrolyte_impurities"):
                assert np.all(s[name] >= -1e-12) and np.all(np.isfinite(s[name])), name
            summary = {k: ds[()] for k, ds in h5["summary"].items()}
            assert summary["al_produced"] > 0 and 0 < summary["current_efficiency"] <= 1
            assert math.isfinite(summary["specific_energy"]) and summary["specific_energy"] > 0


@pytest.fixture(scope="module")
def result_bytes():
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.h5"
        result = CliRunner().invoke(main, ["run", "rusal-3kA", "-q", "-o", str(out), "--set",
                                           'numerics.model="lumped"', "--set", 'schedule.duration="2 d"'])
        assert result.exit_code == 0, result.output
        data = out.read_bytes()
        good = CliRunner().invoke(main, ["show", str(out)]).output
    return data, good


@fuzz(FILES)
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=4))
def test_damaged_result_files_are_refused_or_read_unchanged(result_bytes, flips):
    data, good = result_bytes
    damaged = bytearray(data)
    for where, bit in flips:
        damaged[int(where * len(data))] ^= 1 << bit
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.h5"
        path.write_bytes(bytes(damaged))
        result = CliRunner().invoke(main, ["show", str(path)])
        assert result.exit_code in (0, EXIT_INPUT), result.output
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            assert result.output == good  # only unused bytes were hit
        else:
            assert str(path) in result.output
