"""One-phase Stefan problem (Neumann's similarity solution) for the enthalpy formulation.

Melt at its melting point T_m fills 0 < x < 0.3 m; at t = 0 the wall x = 0 drops to
T_w < T_m and a frozen layer grows: s(t) = 2 lambda sqrt(alpha t), with lambda solving
lambda exp(lambda^2) erf(lambda) = St / sqrt(pi), St = c (T_m - T_w) / L. Isothermal
phase change (t_solidus = t_liquidus), equal solid and liquid properties (those of a
frozen electrolyte ledge). The front is sum((1 - f) dx). Tolerance: the relative front
error at t = 5 h (s = 9.8 cm) at least halves with each doubling of cells and steps
(10 ... 80 cells) and is below 3e-4 on the finest grid.
"""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import erf

from cellsim.fields.grid import Grid
from cellsim.fields.heat import HeatProperties, HeatSolver, SurfaceBC, ledge_profile

pytestmark = pytest.mark.verification

K, C, LAT, T_M, T_W = 1.5, 2.4e6, 2700 * 181e3, 973.15, 873.15
T_END = 5 * 3600.0


def neumann_front(time):
    st = C * (T_M - T_W) / LAT
    lam = brentq(lambda x: x * np.exp(x * x) * erf(x) - st / np.sqrt(np.pi), 1e-6, 5.0)
    return 2 * lam * np.sqrt(K / C * time)


def front(n, steps):
    faces = (np.linspace(0.0, 0.3, n + 1), np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    grid = Grid("xyz", faces, np.zeros((n, 1, 1), np.int32), {"electrolyte": 0})
    full = np.ones(grid.shape)
    props = HeatProperties(K * full, K * full, C * full, C * full, T_M * full, T_M * full, LAT * full)
    solver = HeatSolver(grid, props, {"x-": SurfaceBC(h=np.inf, value=T_W)})
    state = solver.state(T_M)
    for _ in range(steps):
        state, bal = solver.step(state, T_END / steps)
        assert bal.relative_residual <= 1e-10
    _, thick = ledge_profile(grid, state.frac, "electrolyte")
    return float(thick[0])


def test_front_position_converges_to_neumann():
    exact = neumann_front(T_END)
    errors = [abs(front(n, 2 * n) - exact) / exact for n in (10, 20, 40, 80)]
    # measured 1.3e-2, 3.1e-3, 6.2e-4, 1.0e-4 (dt ~ dx)
    assert all(b < 0.5 * a for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] < 3e-4, errors
