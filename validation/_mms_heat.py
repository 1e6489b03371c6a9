"""Manufactured and exact problems of the heat kernel (shared by tests/verification and the
``verification_summary`` validation case).

Spatial order (tests/verification/test_heat_mms.py): T = U(x) + t W(x) is linear in t, so
backward Euler is exact in time and the error after a few steps is the spatial error alone.
Smooth variable k, smoothly stretched grids, Dirichlet, convective and radiative (with a
manufactured extra flux) boundaries, cell-averaged sources (3-point Gauss, r-weighted in r-z).

Time order: T = a(t) + b(t).x with constant k is reproduced exactly by the FV operator, so
the error is the time error alone; backward Euler is first order.

Stefan front (tests/verification/test_heat_stefan.py): one-phase Stefan problem against
Neumann's similarity solution s(t) = 2 lambda sqrt(alpha t), lambda exp(lambda^2) erf(lambda)
= St / sqrt(pi); melt at T_m in 0 < x < 0.3 m, the wall at x = 0 drops to T_w at t = 0.
"""

import numpy as np
from scipy.optimize import brentq
from scipy.special import erf

from cellsim.fields.grid import Grid
from cellsim.fields.heat import HeatProperties, HeatSolver, SurfaceBC, ledge_profile
from cellsim.units import STEFAN_BOLTZMANN

from ._mms import mesh_faces, smooth_faces

RHO_C, H_CONV, EPS, T_AMB = 2.0e6, 15.0, 0.8, 300.0
GAUSS = (np.array([-np.sqrt(0.6), 0.0, np.sqrt(0.6)]) / 2 + 0.5, np.array([5, 8, 5]) / 18)


def manufactured(geometry):
    import sympy as sp  # a test/validation extra, needed only here

    r, y, z, t = sp.symbols("r y z t")
    if geometry == "rz":
        T = 800 + 100 * sp.cos(2 * r) * sp.cos(1.5 * z) + t * 0.02 * (1 + r**2) * (1 + z)
        k = 2 + r + z
        div = sp.diff(r * k * sp.diff(T, r), r) / r + sp.diff(k * sp.diff(T, z), z)
        grad = (sp.diff(T, r), 0 * r, sp.diff(T, z))
    else:
        T = 800 + 100 * sp.cos(2 * r) * sp.sin(3 * y + 0.3) * sp.cos(1.5 * z) + t * 0.02 * (1 + r + y * z)
        k = 2 + r + y * z
        div = sum(sp.diff(k * sp.diff(T, v), v) for v in (r, y, z))
        grad = tuple(sp.diff(T, v) for v in (r, y, z))
    q = RHO_C * sp.diff(T, t) - div
    f = [sp.lambdify((r, y, z, t), e, "numpy") for e in (T, k, q, *grad)]
    return f[0], f[1], f[2], f[3:]


def cell_average(fun, grid, time):
    f0, f1, f2 = grid.faces
    pts, wts = GAUSS
    acc = np.zeros(grid.shape)
    weight = np.zeros(grid.shape)
    axes = [f0, f1, f2]
    for a0, w0 in zip(pts, wts):
        x0 = f0[:-1] + a0 * np.diff(f0)
        jac = x0 if grid.geometry == "rz" else np.ones_like(x0)
        for a1, w1 in zip(pts, wts):
            x1 = axes[1][:-1] + a1 * np.diff(axes[1])
            for a2, w2 in zip(pts, wts):
                x2 = f2[:-1] + a2 * np.diff(f2)
                X = np.meshgrid(x0, x1, x2, indexing="ij")
                w = w0 * w1 * w2 * np.broadcast_to(jac[:, None, None], X[0].shape)
                acc += w * fun(X[0], X[1], X[2], time)
                weight += w
    return acc / weight


def boundaries(grid, T, k, grad, time):
    """Dirichlet z-, convection z+, convection + radiation elsewhere (manufactured flux)."""
    c = [grid.centres(a) for a in range(3)]
    sides = ("x+", "z-", "z+") if grid.geometry == "rz" else ("x-", "x+", "y-", "y+", "z-", "z+")
    bcs = {}
    for side in sides:
        a, high = "xyz".index(side[0]), side[1] == "+"
        cc = list(c)
        cc[a] = np.array([grid.faces[a][-1] if high else grid.faces[a][0]])
        X = np.meshgrid(*cc, indexing="ij")
        ts = np.take(T(*X, time) * np.ones_like(X[0]), 0, axis=a)
        if side == "z-":
            bcs[side] = SurfaceBC(h=np.inf, value=ts)
            continue
        dn = np.take(grad[a](*X, time) * np.ones_like(X[0]), 0, axis=a) * (1 if high else -1)
        q_out = -np.take(k(*X, time) * np.ones_like(X[0]), 0, axis=a) * dn
        eps = 0.0 if side == "z+" else EPS
        law = H_CONV * (ts - T_AMB) + eps * STEFAN_BOLTZMANN * (ts**4 - T_AMB**4)
        bcs[side] = SurfaceBC(h=H_CONV, value=T_AMB, emissivity=eps, ambient=T_AMB, flux=q_out - law)
    return bcs


def spatial_error(geometry, n, steps=3, dt=400.0, mesh="smooth"):
    """Volume-weighted L2 error after ``steps`` backward-Euler steps on the n-cell grid [K]
    (mesh "smooth": smoothly stretched; "graded": the pot builder's graded family)."""
    T, k, q, grad = manufactured(geometry)
    if geometry == "rz":
        faces = (mesh_faces(mesh, 0.5, n), np.array([0.0, 2 * np.pi]), mesh_faces(mesh, 0.4, n))
    else:
        faces = (mesh_faces(mesh, 0.3, n), mesh_faces(mesh, 0.25, n, -0.05), mesh_faces(mesh, 0.2, n))
    grid = Grid(geometry, faces, np.zeros(tuple(f.size - 1 for f in faces), np.int32), {"all": 0})
    X = np.meshgrid(*(grid.centres(a) for a in range(3)), indexing="ij")
    props = HeatProperties.constant(grid.shape, k(*X, 0.0) * np.ones(grid.shape), RHO_C)
    solver = HeatSolver(grid, props, boundaries(grid, T, k, grad, 0.0))
    state = solver.state(T(*X, 0.0))
    for i in range(1, steps + 1):
        solver.bcs = boundaries(grid, T, k, grad, i * dt)
        # HeatSolver.step takes sources as power per cell [W]: the cell average [W/m3] times V
        state, bal = solver.step(state, dt, {"q": cell_average(q, grid, i * dt) * grid.volumes()})
        if bal.relative_residual > 1e-10:
            raise AssertionError(f"energy balance residual {bal.relative_residual:.2e} > 1e-10")
    err = state.T - T(*X, steps * dt)
    vol = grid.volumes()
    return np.sqrt(np.sum(vol * err**2) / vol.sum())


def time_errors(step_counts=(4, 8, 16, 32)):
    """Max-norm errors at t_end [K] of the exact-in-space transient, one per step count."""
    b0 = np.array([50.0, -30.0, 20.0])
    tau, t_end = 2000.0, 4000.0

    def exact(X, time):
        return 800.0 + np.exp(-time / tau) * (100.0 + sum(b * x for b, x in zip(b0, X)))

    faces = (smooth_faces(0.3, 6), smooth_faces(0.25, 5), smooth_faces(0.2, 4))
    grid = Grid("xyz", faces, np.zeros((6, 5, 4), np.int32), {"all": 0})
    X = np.meshgrid(*(grid.centres(a) for a in range(3)), indexing="ij")
    props = HeatProperties.constant(grid.shape, 3.0, RHO_C)
    errors = []
    for steps in step_counts:
        dt = t_end / steps
        solver = HeatSolver(grid, props, {})
        state = solver.state(exact(X, 0.0))
        for i in range(1, steps + 1):
            time = i * dt
            bcs = {}
            for side in ("x-", "x+", "y-", "y+", "z-", "z+"):
                a, high = "xyz".index(side[0]), side[1] == "+"
                cc = [grid.centres(b) for b in range(3)]
                cc[a] = np.array([faces[a][-1] if high else faces[a][0]])
                F = np.meshgrid(*cc, indexing="ij")
                bcs[side] = SurfaceBC(h=np.inf, value=np.take(exact(F, time), 0, axis=a))
            solver.bcs = bcs
            src = -RHO_C / tau * (exact(X, time) - 800.0) * grid.volumes()  # [W per cell]
            state, _ = solver.step(state, dt, {"q": src})
        errors.append(np.max(np.abs(state.T - exact(X, t_end))))
    return errors


# --- one-phase Stefan problem ---

K_LEDGE, C, LAT, T_M, T_W = 1.5, 2.4e6, 2700 * 181e3, 973.15, 873.15
T_END = 5 * 3600.0


def neumann_front(time):
    st = C * (T_M - T_W) / LAT
    lam = brentq(lambda x: x * np.exp(x * x) * erf(x) - st / np.sqrt(np.pi), 1e-6, 5.0)
    return 2 * lam * np.sqrt(K_LEDGE / C * time)


def stefan_front(n, steps):
    """Frozen front position [m] at T_END on n cells with ``steps`` backward-Euler steps."""
    faces = (np.linspace(0.0, 0.3, n + 1), np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    grid = Grid("xyz", faces, np.zeros((n, 1, 1), np.int32), {"electrolyte": 0})
    full = np.ones(grid.shape)
    props = HeatProperties(K_LEDGE * full, K_LEDGE * full, C * full, C * full, T_M * full,
                           T_M * full, LAT * full)
    solver = HeatSolver(grid, props, {"x-": SurfaceBC(h=np.inf, value=T_W)})
    state = solver.state(T_M)
    for _ in range(steps):
        state, bal = solver.step(state, T_END / steps)
        if bal.relative_residual > 1e-10:
            raise AssertionError(f"energy balance residual {bal.relative_residual:.2e} > 1e-10")
    _, thick = ledge_profile(grid, state.frac, "electrolyte")
    return float(thick[0])
