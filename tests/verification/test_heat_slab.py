"""Composite slab (lining layers) in steady conduction against the exact series solution.

Three layers of different conductivity, hot face at a fixed temperature, cold face losing
heat by convection and radiation. The exact temperature is piecewise linear with the flux
q set by the series resistance and the nonlinear surface law; with layer interfaces on
cell faces the harmonic face conductances reproduce it to round-off, so the tolerance is
1e-9 relative. The same slab run as a long transient must settle on the same state.
"""

import numpy as np
import pytest
from scipy.optimize import brentq

from cellsim.fields.grid import Grid
from cellsim.fields.heat import HeatProperties, HeatSolver, SurfaceBC
from cellsim.units import STEFAN_BOLTZMANN

pytestmark = pytest.mark.verification

LAYERS = [(0.10, 4.0), (0.12, 1.2), (0.05, 0.15)]  # thickness [m], k [W/(m K)]
T_HOT, H_OUT, EPS, T_AMB = 1023.15, 10.0, 0.8, 298.15


def slab(n_per_layer, geometry="xyz"):
    zf = [0.0]
    k = []
    for t, kk in LAYERS:
        zf += list(zf[-1] + t * np.arange(1, n_per_layer + 1) / n_per_layer)
        k += [kk] * n_per_layer
    faces = (np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array(zf))
    grid = Grid(geometry, faces, np.zeros((1, 1, len(k)), np.int32), {"lining": 0})
    props = HeatProperties.constant(grid.shape, np.array(k)[None, None, :], 2.0e6)
    bcs = {"z-": SurfaceBC(h=np.inf, value=T_HOT),
           "z+": SurfaceBC(h=H_OUT, value=T_AMB, emissivity=EPS, ambient=T_AMB)}
    return grid, props, bcs


def exact(z):
    R = sum(t / k for t, k in LAYERS)

    def mismatch(ts):
        return (T_HOT - ts) / R - (H_OUT * (ts - T_AMB) + EPS * STEFAN_BOLTZMANN * (ts**4 - T_AMB**4))

    ts = brentq(mismatch, T_AMB, T_HOT, xtol=1e-12)
    q = (T_HOT - ts) / R
    T, z0, Tz = np.empty_like(z), 0.0, T_HOT
    for t, k in LAYERS:
        sel = (z >= z0) & (z <= z0 + t)
        T[sel] = Tz - q * (z[sel] - z0) / k
        z0, Tz = z0 + t, Tz - q * t / k
    return T, q


@pytest.mark.parametrize("n", [1, 5])
def test_steady_composite_slab_is_exact(n):
    grid, props, bcs = slab(n)
    solver = HeatSolver(grid, props, bcs)
    state, bal = solver.steady()
    T_ex, q = exact(grid.centres(2))
    assert np.max(np.abs(state.T[0, 0] - T_ex)) <= 1e-9 * T_HOT
    assert bal.losses["z+"] == pytest.approx(q, rel=1e-9)
    assert bal.losses["z-"] == pytest.approx(-q, rel=1e-9)
    assert abs(bal.residual) <= 1e-10 * q


def test_transient_slab_settles_on_the_steady_state():
    grid, props, bcs = slab(4)
    solver = HeatSolver(grid, props, bcs)
    state = solver.state(T_AMB)
    for dt in [1e3] * 5 + [1e5] * 5 + [1e8] * 5:
        state, bal = solver.step(state, dt)
        assert bal.relative_residual <= 1e-10
    T_ex, q = exact(grid.centres(2))
    assert np.max(np.abs(state.T[0, 0] - T_ex)) <= 1e-7 * T_HOT
