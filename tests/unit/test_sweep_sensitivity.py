"""Sobol indices against functions whose indices are known in closed form (not our own output)."""

import math

import numpy as np

from cellsim.sweep.report import pareto_mask
from cellsim.sweep.sensitivity import binned_first_order, from_table, saltelli
from cellsim.sweep.spec import load_spec

A_ISH, B_ISH = 7.0, 0.1


def ishigami(x):
    return np.sin(x[:, 0]) + A_ISH * np.sin(x[:, 1]) ** 2 + B_ISH * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_exact():
    """Analytic variances of the Ishigami function on [-pi, pi]^3 (Ishigami & Homma 1990)."""
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1 + B_ISH * pi4 / 5) ** 2
    v2 = A_ISH**2 / 8
    v13 = B_ISH**2 * pi8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def saltelli_table(tmp_path, samples, func):
    """Build the case list of a saltelli spec and evaluate ``func`` on it, as a sweep would."""
    path = tmp_path / "s.toml"
    path.write_text(f"""
[sweep]
base = "rusal-3kA"
design = "saltelli"
samples = {samples}
seed = 1
[parameters]
"kinetics.alpha_anodic" = {{ bounds = [-3.141592653589793, 3.141592653589793] }}
"kinetics.alpha_cathodic" = {{ bounds = [-3.141592653589793, 3.141592653589793] }}
"operation.external_voltage_drop" = {{ bounds = ["-3.141592653589793 V", "3.141592653589793 V"] }}
""")
    spec = load_spec(path)
    x = np.array([c.values for c in spec.cases])
    return {"attrs": {"design": "saltelli"}, "status": np.array(["ok"] * len(x)),
            "role": np.array([c.role for c in spec.cases]),
            "group": np.array([c.group for c in spec.cases]),
            "inputs": {p.key: x[:, i] for i, p in enumerate(spec.parameters)},
            "outputs": {"y": func(x)}}


def test_saltelli_design_recovers_ishigami_indices(tmp_path):
    table = saltelli_table(tmp_path, 2**13, ishigami)
    ind = from_table(table, "y")
    s1, st = ishigami_exact()
    assert np.allclose(ind.first, s1, atol=0.02), (ind.first, s1)
    assert np.allclose(ind.total, st, atol=0.02), (ind.total, st)
    assert np.all(ind.first_ci[:, 0] <= ind.first_ci[:, 1])
    assert np.all((ind.first_ci[:, 0] - 0.02 <= s1) & (s1 <= ind.first_ci[:, 1] + 0.02))
    assert list(ind.used) == [2**13] * 3


def test_linear_function_is_exact_up_to_sampling_noise(tmp_path):
    coef = np.array([1.0, 2.0, 0.0])
    table = saltelli_table(tmp_path, 2**12, lambda x: x @ coef)
    ind = from_table(table, "y")
    expected = coef**2 / np.sum(coef**2)  # equal input variances: S_i = a_i^2 / sum a^2, additive
    assert np.allclose(ind.first, expected, atol=0.02)
    assert np.allclose(ind.total, expected, atol=0.02)
    assert ind.total[2] == 0.0  # x3 never moves y: the Jansen estimator is exactly zero


def test_failed_cases_drop_only_their_rows(tmp_path):
    table = saltelli_table(tmp_path, 2**12, ishigami)
    rng = np.random.default_rng(0)
    failed = rng.choice(len(table["role"]), size=300, replace=False)
    table["status"][failed] = "failed"
    table["outputs"]["y"][failed] = 123.0  # must be ignored, not used
    ind = from_table(table, "y")
    lost = {(r, g) for r, g in zip(table["role"][failed], table["group"][failed])}
    for i in range(3):
        bad = {g for r, g in lost if r in ("A", "B", f"AB{i}")}
        assert ind.used[i] == 2**12 - len(bad)
    s1, st = ishigami_exact()
    assert np.allclose(ind.first, s1, atol=0.03) and np.allclose(ind.total, st, atol=0.03)


def test_binned_given_data_estimator_on_a_linear_function():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, size=(4096, 3))
    coef = np.array([3.0, 1.0, 0.0])
    y = x @ coef
    y[:50] = np.nan  # failed cases
    ind = binned_first_order(x, y)
    assert np.allclose(ind.first, coef**2 / np.sum(coef**2), atol=0.02)
    assert ind.used[0] == 4096 - 50 and ind.available == 4096


def test_too_few_cases_give_nan_not_a_number_that_looks_real():
    ind = saltelli(np.array([1.0, np.nan]), np.array([np.nan, 2.0]), np.ones((2, 2)))
    assert np.all(np.isnan(ind.first)) and list(ind.used) == [0, 0]


def test_pareto_mask():
    cost = np.array([1.0, 2.0, 3.0, 2.5, np.nan])
    benefit = np.array([1.0, 3.0, 2.0, 3.0, 9.0])
    assert pareto_mask(cost, benefit).tolist() == [True, True, False, False, False]


def test_large_mean_small_spread_output_is_stable(tmp_path):
    """Like purity (0.9999 +- 1e-5): shifting and scaling y must not change the indices."""
    base = from_table(saltelli_table(tmp_path, 2**10, ishigami), "y")
    shifted = from_table(saltelli_table(tmp_path, 2**10, lambda x: 1.0 + 1e-6 * ishigami(x)), "y")
    assert np.allclose(shifted.first, base.first, atol=1e-6)
    assert np.allclose(shifted.total, base.total, atol=1e-6)
