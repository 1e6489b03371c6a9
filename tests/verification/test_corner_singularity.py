"""The heat solver at a singular material corner, against the corner's exact solution.

Where the cathode metal's top meets the side wall (issue 17's grid study, docs/speed.md
"Grid convergence"), three materials meet: the metal (nearly isothermal under its eddy
conductivity), the gas-space layer above it (k_g = 9 W/(m K) for rusal-3kA, in full contact
with the metal) and the side lining beside both (magnesia, k_s = 4 W/(m K)), which touches
the metal through the melt-to-wall film. Within a few k_s / h = 13 mm of the corner the film
passes little heat and the local problem is: u = 0 on the metal's top (Dirichlet), no flux
through the film (Neumann), continuity of u and of the normal flux between gas and lining.
Its solution is u = r^lam phi(theta), theta from the metal's top face:

    gas (0 < theta < pi/2):         phi = sin(lam theta)
    lining (pi/2 < theta < 3pi/2):  phi = B cos(lam (3pi/2 - theta)),

B = sin(lam pi/2) / cos(lam pi) from continuity, and k_s tan(lam pi/2) sin(lam pi) =
k_g cos(lam pi) from the flux: lam = 0.400 (equal conductivities: 1/3). The heat flow into
the metal over the corner's face of length L is k_g L^lam exactly. The box [-L, L]^2 is
solved by HeatSolver on the exact Dirichlet values (the metal quadrant a conductor of 1e9
W/(m K) at 0 with a 1e-12 W/(m2 K) film to the lining, i.e. the film's no-flux limit), and
the flow read by cellsim.fields.heat_diagnostics.region_flows.

The flux u ~ r^(lam - 1) is singular: on uniform cells of size h the flow converges at order
2 lam = 0.80 (measured 0.78, 0.79, 0.79 from 16 to 128 cells per side), not 2: this is the
order of the pot's corner flows on its grid family (cathode_metal | gas_space 1.03, 0.79;
gas_space | side_0 0.79, 0.65), the scheme is right and the solution is rough. Cells graded
towards the corner as (i/n)^beta restore it: measured orders 1.47, 1.52, 1.54 at beta = 2
(2 lam beta = 1.6), 1.79, 1.86, 1.91 at beta = 3 (the designed 2).
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from cellsim.fields.grid import Grid
from cellsim.fields.heat import HeatProperties, HeatSolver, SurfaceBC
from cellsim.fields.heat_diagnostics import region_flows

pytestmark = pytest.mark.verification

K_GAS, K_LINING, L = 9.0, 4.0, 1.0
LAM = brentq(lambda x: K_LINING * math.tan(x * math.pi / 2) * math.sin(x * math.pi)
             - K_GAS * math.cos(x * math.pi), 1e-6, 0.5 - 1e-9)
B = math.sin(LAM * math.pi / 2) / math.cos(LAM * math.pi)


def exact(x, z):
    r = np.hypot(x, z)
    th = np.arctan2(z, -x)  # from the metal's top face (the -x axis), towards +z
    th = np.where(th < 0.0, th + 2 * np.pi, th)
    u = np.where((x < 0) & (z > 0), r**LAM * np.sin(LAM * th), B * r**LAM * np.cos(LAM * (1.5 * np.pi - th)))
    return np.where((x < 0) & (z < 0), 0.0, u)


def corner_flow(n: int, beta: float = 1.0) -> float:
    """Heat flow [W per m of depth] from the gas into the metal on 2n x 2n cells graded
    towards the corner as (i/n)^beta."""
    half = L * (np.arange(n + 1) / n) ** beta
    f = np.concatenate((-half[::-1], half[1:]))
    xc = 0.5 * (f[1:] + f[:-1])
    X, Z = np.meshgrid(xc, xc, indexing="ij")
    regions = {"gas": 0, "lining": 1, "metal": 2}
    mat = np.where(X > 0, 1, np.where(Z > 0, 0, 2)).astype(np.int32)[:, None, :]
    grid = Grid("xyz", (f, np.array([0.0, 1.0]), f), mat, regions)
    k = np.choose(mat, [K_GAS, K_LINING, 1e9]).astype(float)
    props = HeatProperties.constant(grid.shape, k, 1.0)
    film_x = np.zeros(grid.face_areas(0).shape)
    film_x[n, 0, :n] = 1e-12  # metal | lining: the film's no-flux limit
    bcs = {"x-": SurfaceBC(h=np.inf, value=exact(np.full(xc.size, f[0]), xc)[None, :]),
           "x+": SurfaceBC(h=np.inf, value=exact(np.full(xc.size, f[-1]), xc)[None, :]),
           "z-": SurfaceBC(h=np.inf, value=exact(xc, np.full(xc.size, f[0]))[:, None]),
           "z+": SurfaceBC(h=np.inf, value=exact(xc, np.full(xc.size, f[-1]))[:, None])}
    solver = HeatSolver(grid, props, bcs, films={0: film_x}, solver="lu")
    state, _ = solver.steady(guess=solver.state(0.5))
    return region_flows(solver, state)[("gas", "metal")]


def orders(beta, sizes):
    exact_flow = K_GAS * L**LAM
    err = np.array([abs(corner_flow(n, beta) - exact_flow) / exact_flow for n in sizes])
    return err, np.log2(err[:-1] / err[1:])


def test_exponent_is_the_corner_eigenvalue():
    assert LAM == pytest.approx(0.4004, abs=1e-4)
    # equal conductivities: the Dirichlet-Neumann wedge of 3 pi / 2, lam = pi / (2 (3 pi / 2))
    lam1 = brentq(lambda x: math.tan(x * math.pi / 2) * math.sin(x * math.pi) - math.cos(x * math.pi),
                  1e-6, 0.5 - 1e-9)
    assert lam1 == pytest.approx(1.0 / 3.0, rel=1e-9)


def test_uniform_cells_converge_at_twice_the_exponent():
    err, p = orders(1.0, (8, 16, 32))
    assert np.all(np.abs(p - 2 * LAM) < 0.05), (err, p)


def test_cells_graded_to_the_corner_restore_second_order():
    err, p = orders(3.0, (8, 16, 32))
    assert p[-1] >= 1.85 and err[-1] < 0.003, (err, p)
