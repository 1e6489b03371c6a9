"""The pot's side-wall heat path in r-z on the builder's graded cells, against its exact solution.

The pieces a grid-dependent heater could come from, in the geometry the r-z pot has them:
a heated melt column held at a mean temperature by the Heater (power the unknown, as the
pot's heater), the melt-to-wall film on the melt | lining faces (cellsim.fields.pot's films),
the four side-lining layers of rusal-3kA with harmonic face conductances across their
interfaces, and the outer shell losing heat by convection and radiation through the half
cell (SurfaceBC). One z cell, insulated top and bottom: a 1D radial problem whose exact
solution is closed form. With power Q per height L leaving the melt of radius R:

    melt       T(r) = T(R-) + Q (R^2 - r^2) / (4 pi R^2 L k_m)   (uniform power density)
    film       T(R-) - T(R+) = Q / (2 pi R L h_film)
    layer i    T(r_i) - T(r_i+1) = Q ln(r_i+1 / r_i) / (2 pi L k_i)
    surface    Q / (2 pi R_out L) = h (Ts - Ta) + eps sigma (Ts^4 - Ta^4)

and the melt's volume mean is T(R-) + Q / (8 pi L k_m); Q is the root that puts that mean on
the set point. The grids are the pot builder's graded family for this wall (cavity 16 cells
graded 2, each lining layer cellsim.fields.pot._lining_cells_rz cells graded 2.5, the
default's counts; every cell split in two per refinement). The heater converges at order 2
(measured 2.00, 2.00, 2.00 from the default to 8x) and is within 1e-4 of the exact power at
the default grid (measured -7.9e-5, 0.07 W of 938 W; 2x -2.0e-5): the film, the harmonic interfaces, the r-z face areas
and ring volumes, the Robin surface with radiation and the heater's control close the side
wall's path at second order, so the pot's -1.3 % (default to 2x) heater difference does not
come from them (issue 17 grid study, docs/speed.md: it is spread over the 2D conduction of
every solid part).
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from cellsim.config import load_config
from cellsim.fields import pot as potmod
from cellsim.fields.grid import Grid
from cellsim.fields.heat import Heater, HeatProperties, HeatSolver, SurfaceBC
from cellsim.units import STEFAN_BOLTZMANN

pytestmark = pytest.mark.verification

CFG = load_config("rusal-3kA")
LIN = CFG.lining
R = CFG.geometry.inner_radius
LAYERS = [(L.thickness, L.thermal_conductivity) for L in LIN.side]
K_MELT = 653.0  # W/(m K), the liquid metal with its eddy conductivity (order of the pot's)
H_FILM, H_OUT, EPS = LIN.inside_heat_transfer, LIN.outside_convection, LIN.shell_emissivity
T_AMB, SET_POINT, HEIGHT = LIN.ambient_temperature, 1023.15, 0.2


def exact_power() -> float:
    """Heater power [W] that holds the melt's volume mean at SET_POINT (module docstring)."""
    r_out = R + sum(t for t, _ in LAYERS)

    def mean_temperature(q):
        ts = brentq(lambda t: q / (2 * math.pi * r_out * HEIGHT) - H_OUT * (t - T_AMB)
                    - EPS * STEFAN_BOLTZMANN * (t**4 - T_AMB**4), T_AMB, SET_POINT + 1000.0, xtol=1e-13)
        t_wall, r = ts, r_out
        for t, k in reversed(LAYERS):
            t_wall += q * math.log(r / (r - t)) / (2 * math.pi * HEIGHT * k)
            r -= t
        t_melt_edge = t_wall + q / (2 * math.pi * R * HEIGHT * H_FILM)
        return t_melt_edge + q / (8 * math.pi * HEIGHT * K_MELT)

    return brentq(lambda q: mean_temperature(q) - SET_POINT, 1.0, 1e5, xtol=1e-12, rtol=1e-15)


def discrete_power(scale: int) -> float:
    parts = ([("cavity", R, potmod.CELLS_RZ["cavity"], potmod.GRADING_RZ["cavity"])]
             + [(f"side_{i}", t, potmod._lining_cells_rz(t), potmod.GRADING_RZ["lining"])
                for i, (t, _) in enumerate(LAYERS)])
    rf, rid = potmod._segments(parts, float(scale))
    grid = Grid("rz", (rf, np.array([0.0, 2 * math.pi]), np.array([0.0, HEIGHT])),
                rid.astype(np.int32)[:, None, None], {p[0]: i for i, p in enumerate(parts)})
    k = np.array([K_MELT] + [kk for _, kk in LAYERS])[rid][:, None, None]
    props = HeatProperties.constant(grid.shape, k, 1.0)
    film = np.zeros(grid.face_areas(0).shape)
    film[int(np.sum(rid == 0)), 0, 0] = H_FILM  # the melt | lining face
    bcs = {"r+": SurfaceBC(h=H_OUT, value=T_AMB, emissivity=EPS, ambient=T_AMB)}
    solver = HeatSolver(grid, props, bcs, films={0: film}, solver="lu")
    melt = (rid == 0)[:, None, None]
    _, balance = solver.steady(heater=Heater(melt, melt, SET_POINT), guess=solver.state(SET_POINT))
    assert abs(balance.residual) <= 1e-8 * balance.heater
    return balance.heater


def test_side_wall_path_heater_is_second_order_on_the_pot_graded_family():
    exact = exact_power()
    errors = np.array([discrete_power(s) - exact for s in (1, 2, 4)])
    orders = np.log2(np.abs(errors[:-1] / errors[1:]))
    assert np.all(orders > 1.9) and np.all(orders < 2.1), (errors / exact, orders)
    assert abs(errors[0]) <= 1e-4 * exact, errors / exact
