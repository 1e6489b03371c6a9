"""kernels/roots.py: the shell and ledge-wall temperatures of the lumped heat balance.

Independent checks: the face temperature balances conduction against convection plus
radiation (residual at round-off of the terms), the root is the one SciPy's brentq finds
from the same bracket and tolerances (bit for bit: the lumped level's results must not move
when the root finder changes), and the ledge wall passes exactly the heat asked of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from cellsim.kernels import roots

SIGMA = 5.670374419e-8  # W/(m2 K4), CODATA 2018


def _cases(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield (rng.uniform(700.0, 1300.0), 10.0 ** rng.uniform(-3.0, 1.0), rng.uniform(0.1, 10.0),
               rng.uniform(2.0, 20.0), rng.uniform(0.3, 0.95), rng.uniform(280.0, 320.0))


def _residual(Ts, T_in, R, A, h, eps, Ta):
    return (T_in - Ts) / R - A * (h * (Ts - Ta) + eps * SIGMA * (Ts**4 - Ta**4))


def test_surface_loss_balances_the_face_and_matches_brentq():
    for T_in, R, A, h, eps, Ta in _cases(500):
        Q, Ts, status = roots.surface_loss(T_in, R, A, h, eps * SIGMA, Ta, 1e-9, 1e-12)
        assert status == 0
        assert Ta < Ts < T_in
        out = A * (h * (Ts - Ta) + eps * SIGMA * (Ts**4 - Ta**4))
        assert Q == pytest.approx(out, rel=1e-9)  # what reaches the face leaves it
        ref = brentq(_residual, Ta, T_in, args=(T_in, R, A, h, eps, Ta), xtol=1e-9, rtol=1e-12)
        assert Ts == ref  # the same iterates as SciPy's Brent


def test_ledge_wall_passes_the_heat_asked_and_matches_brentq():
    for T_in, R, A, h, eps, Ta in _cases(100, seed=3):
        Q = roots.surface_loss(0.8 * T_in, R, A, h, eps * SIGMA, Ta, 1e-9, 1e-12)[0]
        T_wall, status = roots.wall_behind_ledge(Q, R, A, h, eps * SIGMA, Ta, Ta + 1e-6, T_in,
                                                 1e-9, roots.EPS4)
        assert status == 0
        assert T_wall == pytest.approx(0.8 * T_in, abs=1e-6)

        def mismatch(Tw):
            return brentq(_residual, Ta, Tw, args=(Tw, R, A, h, eps, Ta), xtol=1e-9, rtol=1e-12)

        def passed(Tw):
            return (Tw - mismatch(Tw)) / R - Q

        assert T_wall == brentq(passed, Ta + 1e-6, T_in, xtol=1e-9)


def test_status_codes_instead_of_exceptions():
    assert roots.surface_loss(290.0, 1.0, 1.0, 5.0, 0.8 * SIGMA, 300.0, 1e-9, 1e-12) == (0.0, 300.0, 0)
    Q, Ts, status = roots.surface_loss(900.0, math.nan, 1.0, 5.0, 0.8 * SIGMA, 300.0, 1e-9, 1e-12)
    assert status == 3 and math.isnan(Q)
    # asking a wall for more heat than it can pass from the hottest bracket end: no sign change
    T_wall, status = roots.wall_behind_ledge(1e9, 1.0, 1.0, 5.0, 0.8 * SIGMA, 300.0, 300.0 + 1e-6,
                                             1000.0, 1e-9, roots.EPS4)
    assert status == 1 and math.isnan(T_wall)
