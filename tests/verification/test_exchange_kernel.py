"""kernels/exchange.film_exchange against its Python definition (cellsim.lumped.chemistry:
interface_ratio at both metals, the partition coefficients, film_conductance and
exchange_step), bit for bit where NumPy's exp and power are the C library's (as on this
project's machines; a CPU where NumPy vectorises them may differ by an ulp)."""

import math

import numpy as np
import pytest

from cellsim.kernels import exchange
from cellsim.lumped import chemistry
from cellsim.units import GAS_CONSTANT


def _numpy_is_libm() -> bool:
    x = np.linspace(-60.0, 60.0, 4001)
    return (np.array_equal(np.exp(x), [math.exp(v) for v in x])
            and np.array_equal(0.37 ** (x / 40.0), [0.37 ** (v / 40.0) for v in x]))


@pytest.mark.parametrize("fed", [False, True])
def test_film_exchange_equals_chemistry(fed):
    rng = np.random.default_rng(7 + fed)
    n = len(chemistry.MOLAR_MASS)
    M = chemistry.MOLAR_MASS
    rtol = 0.0 if _numpy_is_libm() else 1e-14
    for _ in range(50):
        m_a, m_s, m_c = (10.0 ** rng.uniform(-9, 0, n) for _ in range(3))
        T = rng.uniform(950.0, 1100.0)
        dE = rng.uniform(-1.5, 1.5, n)  # from far less to far more noble than Al: stiff both ways
        gamma = 10.0 ** rng.uniform(-2, 1, n)
        a_alx3, a_al_a, a_al_c = rng.uniform(0.05, 1.0), rng.uniform(0.5, 1.0), rng.uniform(0.95, 1.0)
        V = rng.uniform(5e-3, 5e-2, 3)
        c_salt, c_alloy, c_cath = rng.uniform(2e4, 6e4), rng.uniform(8e4, 1e5), rng.uniform(8e4, 1e5)
        area, k_s, k_a, k_c = rng.uniform(0.3, 0.8), *10.0 ** rng.uniform(-6, -4, 3)
        dt = rng.uniform(600.0, 3e4)
        feed = 10.0 ** rng.uniform(-12, -6, n) if fed else None
        x_a = chemistry.interface_ratio(T, "fluoride", {}, a_alx3, a_al_a, gamma, dE=dE)
        x_c = chemistry.interface_ratio(T, "fluoride", {}, a_alx3, a_al_c, np.ones(n), dE=dE)
        S_a, S_c = x_a * c_salt / c_alloy, x_c * c_salt / c_cath
        g_a = chemistry.film_conductance(area, S_a, k_s, k_a)
        g_c = chemistry.film_conductance(area, S_c, k_s, k_c)
        n_a, n_s, n_c, N_a, N_c = chemistry.exchange_step(
            m_a / M, m_s / M, m_c / M, *V, S_a, S_c, g_a, g_c, dt, None if feed is None else feed / M)
        got = exchange.film_exchange(
            m_a, m_s, m_c, M, *V, chemistry._NF, chemistry._N_3, dE, GAS_CONSTANT * T, gamma,
            a_alx3, a_al_a, a_al_c, c_salt, c_alloy, c_cath, area, k_s, k_a, k_c, dt,
            np.zeros(0) if feed is None else feed)
        for a, b in zip(got, (n_a * M, n_s * M, n_c * M, N_a, N_c)):
            if rtol == 0.0:
                assert np.array_equal(a, b)  # equal, not close
            else:
                np.testing.assert_allclose(a, b, rtol=rtol, atol=0.0)
        # the element totals close (what the step conserves, with the feed in)
        before = m_a + m_s + m_c + (0.0 if feed is None else feed * dt)
        np.testing.assert_allclose(got[0] + got[1] + got[2], before, rtol=1e-12)


def test_constants_are_interface_ratio_s():
    """The kernel's -n F and n/3 are those interface_ratio uses."""
    from cellsim.units import FARADAY

    assert np.array_equal(chemistry._NF, -chemistry.VALENCE * FARADAY)
    assert np.array_equal(chemistry._N_3, chemistry.VALENCE / 3.0)
