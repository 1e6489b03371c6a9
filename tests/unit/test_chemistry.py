"""Impurity exchange: conservation, equilibrium partition, selectivity against hand calculations."""

import math

import numpy as np
import pytest

from cellsim.elements import IMPURITIES
from cellsim.lumped import chemistry

F, R = 96485.33212, 8.314462618
k = len(IMPURITIES)


def random_case(rng):
    return dict(
        n_alloy=rng.uniform(0, 10, k), n_salt=rng.uniform(0, 1, k), n_cath=rng.uniform(0, 1, k),
        V_alloy=0.07, V_salt=0.027, V_cath=0.04,
        S_anode=10.0 ** rng.uniform(-14, 6, k), S_cathode=10.0 ** rng.uniform(-14, 6, k),
        g_anode=rng.uniform(1e-6, 1e-4, k), g_cathode=rng.uniform(1e-6, 1e-4, k),
    )


@pytest.mark.parametrize("seed", range(5))
def test_exchange_step_conserves_each_element_to_round_off(seed):
    case = random_case(np.random.default_rng(seed))
    before = case["n_alloy"] + case["n_salt"] + case["n_cath"]
    a, s, c, Na, Nc = chemistry.exchange_step(**case, dt=3600.0)
    assert np.allclose(a + s + c, before, rtol=1e-13, atol=0)
    assert np.all(a >= 0) and np.all(s >= 0) and np.all(c >= 0)
    assert np.allclose(Na * 3600.0, case["n_alloy"] - a, rtol=1e-12)


def test_zero_inventories_stay_exactly_zero():
    case = random_case(np.random.default_rng(0))
    for pool in ("n_alloy", "n_salt", "n_cath"):
        case[pool] = np.zeros(k)
    a, s, c, Na, Nc = chemistry.exchange_step(**case, dt=3600.0)
    assert not a.any() and not s.any() and not c.any()


def test_alloy_and_salt_relax_to_the_partition_coefficient():
    rng = np.random.default_rng(1)
    case = random_case(rng)
    case["S_anode"] = 10.0 ** rng.uniform(-3, 3, k)
    case["g_cathode"] = np.zeros(k)  # isolate the anode pair
    a, s = case["n_alloy"], case["n_salt"]
    for _ in range(200):
        a, s, c, *_ = chemistry.exchange_step(a, s, case["n_cath"], case["V_alloy"], case["V_salt"],
                                              case["V_cath"], case["S_anode"], case["S_cathode"],
                                              case["g_anode"], case["g_cathode"], 1e6)
    ratio = (s / case["V_salt"]) / (a / case["V_alloy"])
    assert np.allclose(ratio, case["S_anode"], rtol=1e-8)


def test_interface_ratio_matches_the_exchange_equilibrium_by_hand():
    T, a_alx3, a_al = 1000.0, 0.1, 0.8
    ratio = dict(zip(IMPURITIES, chemistry.interface_ratio(T, "fluoride", {}, a_alx3, a_al, np.ones(k))))
    # Fe: FeF2, n = 2, dE = +1.38 V (JANAF [Chase1998])
    fe = a_alx3 ** (2 / 3) * math.exp(-2 * F * 1.38 / (R * T)) / a_al ** (2 / 3)
    assert ratio["Fe"] == pytest.approx(fe, rel=1e-12)
    # Mg: MgF2, n = 2, dE = -0.61 V: less noble, prefers the salt
    mg = a_alx3 ** (2 / 3) * math.exp(+2 * F * 0.61 / (R * T)) / a_al ** (2 / 3)
    assert ratio["Mg"] == pytest.approx(mg, rel=1e-12)
    assert ratio["Mg"] > 1e4 and ratio["Fe"] < 1e-12


def test_noble_transfer_rises_as_the_alloy_loses_al_as_the_equilibrium_predicts():
    T, args = 1023.15, ("chloride", {}, 0.1)
    high = chemistry.interface_ratio(T, *args, 0.8, np.ones(k))
    low = chemistry.interface_ratio(T, *args, 0.4, np.ones(k))
    n = np.array([{"Fe": 2, "Cu": 1, "Si": 4, "Mn": 2, "Zn": 2, "Mg": 2, "Ti": 3}[s] for s in IMPURITIES])
    assert np.allclose(low / high, 2.0 ** (n / 3), rtol=1e-12)
    # chloride series at 750 degC: Zn (0.39 V) leaks ~1e4 x more than Fe (0.61 V): exp(-nF dE/RT) ratio
    r = dict(zip(IMPURITIES, high))
    assert r["Zn"] / r["Fe"] == pytest.approx(math.exp(2 * F * (0.61 - 0.39) / (R * T)), rel=1e-12)


def test_offsets_shift_the_potential():
    T = 1023.15
    base = chemistry.interface_ratio(T, "fluoride", {}, 0.1, 0.8, np.ones(k))
    shifted = chemistry.interface_ratio(T, "fluoride", {"Fe": 0.1}, 0.1, 0.8, np.ones(k))
    i = IMPURITIES.index("Fe")
    assert shifted[i] / base[i] == pytest.approx(math.exp(-2 * F * 0.1 / (R * T)), rel=1e-12)


def test_sludge_excess_brings_the_element_to_its_solubility():
    m_fe, M, w, r = 8.0, 200.0, 0.025, 1.57
    e = chemistry.sludge_excess(m_fe, M, w, r)
    assert (m_fe - e) / (M - e * (1 + r)) == pytest.approx(w, rel=1e-12)
    assert chemistry.sludge_excess(1.0, 200.0, w, r) == 0.0


@pytest.mark.parametrize("family", ["fluoride", "chloride"])
def test_janaf_potentials_at_one_temperature_are_delta_E_element_by_element(family):
    """exchange_potentials with a scalar temperature (all elements' tables at once) returns
    exactly delta_E(T) + offset of each element (np.interp of its table): on the nodes,
    between them, outside the table."""
    from cellsim.elements import IMPURITIES as IMP
    from cellsim.purity.equilibria import T_NODES, delta_E as delta_E_T

    offsets = {"Fe": 0.013, "Ti": -0.02}
    rng = np.random.default_rng(1)
    temps = np.concatenate([T_NODES, [700.0, 799.999, 1300.0001, 1500.0],
                            rng.uniform(800.0, 1300.0, 200)])
    for T in temps:
        fast = chemistry.exchange_potentials(float(T), family, offsets, "janaf")
        ref = np.array([float(delta_E_T(s, family, float(T))) + offsets.get(s, 0.0) for s in IMP])
        assert np.array_equal(fast, ref), (T, fast - ref)


def test_exchange_step_solves_its_system_even_when_stiff():
    """The three-pool step (elimination without pivoting on the tridiagonal I - dt M) against
    a dense pivoting solve of the same system, for partition ratios over 16 decades and steps
    from a second to a year: the same answer to round-off, and the totals closed."""
    rng = np.random.default_rng(4)
    k = 200
    S_a, S_c = 10 ** rng.uniform(-8, 8, k), 10 ** rng.uniform(-8, 8, k)
    g_a, g_c = rng.uniform(1e-8, 1e-5, k), rng.uniform(1e-8, 1e-5, k)
    V = (0.07, 0.027, 0.036)
    n = [rng.uniform(0.0, 2.0, k) for _ in range(3)]
    feed = rng.uniform(0.0, 1e-4, k)
    for dt in (1.0, 3600.0, 3.15e7):
        got = chemistry.exchange_step(*n, *V, S_a, S_c, g_a, g_c, dt, feed_alloy=feed)
        a, b = g_a * S_a / V[0], g_a / V[1]
        c, d = g_c / V[1], g_c * S_c / V[2]
        for i in range(k):
            M = np.array([[-a[i], b[i], 0.0], [a[i], -(b[i] + c[i]), d[i]], [0.0, c[i], -d[i]]])
            ref = np.linalg.solve(np.eye(3) - dt * M, [n[0][i] + dt * feed[i], n[1][i], n[2][i]])
            x = np.array([got[0][i], got[1][i], got[2][i]])
            assert np.allclose(x, ref, rtol=1e-10, atol=1e-13 * ref.sum()), (dt, i, x, ref)
            total = n[0][i] + n[1][i] + n[2][i] + dt * feed[i]
            assert math.isclose(x.sum(), total, rel_tol=1e-9), (dt, i, x.sum() / total - 1)  # stiff: cond * eps
