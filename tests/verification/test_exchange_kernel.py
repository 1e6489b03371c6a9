"""kernels/exchange.film_exchange against its Python definition (cellsim.lumped.chemistry:
the partition coefficients, film_conductance and exchange_step), bit for bit."""

import numpy as np
import pytest

from cellsim.kernels import exchange
from cellsim.lumped import chemistry


@pytest.mark.parametrize("fed", [False, True])
def test_film_exchange_equals_chemistry(fed):
    rng = np.random.default_rng(7 + fed)
    n = len(chemistry.MOLAR_MASS)
    M = chemistry.MOLAR_MASS
    for _ in range(50):
        m_a, m_s, m_c = (10.0 ** rng.uniform(-9, 0, n) for _ in range(3))
        x_a, x_c = 10.0 ** rng.uniform(-12, 8, n), 10.0 ** rng.uniform(-12, 8, n)  # stiff both ways
        V = rng.uniform(5e-3, 5e-2, 3)
        c_salt, c_alloy, c_cath = rng.uniform(2e4, 6e4), rng.uniform(8e4, 1e5), rng.uniform(8e4, 1e5)
        area, k_s, k_a, k_c = rng.uniform(0.3, 0.8), *10.0 ** rng.uniform(-6, -4, 3)
        dt = rng.uniform(600.0, 3e4)
        feed = 10.0 ** rng.uniform(-12, -6, n) if fed else None
        S_a, S_c = x_a * c_salt / c_alloy, x_c * c_salt / c_cath
        g_a = chemistry.film_conductance(area, S_a, k_s, k_a)
        g_c = chemistry.film_conductance(area, S_c, k_s, k_c)
        n_a, n_s, n_c, N_a, N_c = chemistry.exchange_step(
            m_a / M, m_s / M, m_c / M, *V, S_a, S_c, g_a, g_c, dt, None if feed is None else feed / M)
        got = exchange.film_exchange(m_a, m_s, m_c, M, *V, x_a, x_c, c_salt, c_alloy, c_cath, area,
                                     k_s, k_a, k_c, dt, np.zeros(0) if feed is None else feed)
        for a, b in zip(got, (n_a * M, n_s * M, n_c * M, N_a, N_c)):
            assert np.array_equal(a, b)  # equal, not close
        # the element totals close (what the step conserves, with the feed in)
        before = m_a + m_s + m_c + (0.0 if feed is None else feed * dt)
        np.testing.assert_allclose(got[0] + got[1] + got[2], before, rtol=1e-12)
