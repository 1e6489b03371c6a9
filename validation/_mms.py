"""Manufactured-solution helpers and problems of the FV diffusion and current kernels.

Shared by the verification tests (tests/verification, which assert the orders) and the
``verification_summary`` validation case (which reports them); moved here from
tests/reference so that an installed ``cellsim validate`` can run them.

Helpers: sources by 4th-order finite differences of exact fields.

The exact potential is any vectorised function u(c0, c1, c2) of cell-centre coordinates;
-div(k grad u) is evaluated with 4th-order central differences (step h ~ 1e-3 of the
domain: truncation ~1e-12, round-off ~1e-10 relative), far below the discretisation
errors being measured.
"""

import numpy as np

from cellsim.fields import fvm
from cellsim.fields.current import CurrentSolver, Electrode, Kinetics
from cellsim.fields.grid import Grid
from cellsim.fields.solvers import make_solver
from cellsim.kernels.interface import bv_linearise


def d1(f, x, h):
    """df/dx, 4th order."""
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


def flux_divergence(u, k, geometry, c, h):
    """div(k grad u) at points c = (c0, c1, c2) (arrays broadcasting together).

    u, k : vectorised functions of (c0, c1, c2); geometry "rz" (c1 ignored) or "xyz".
    """
    total = 0.0
    axes = (0, 2) if geometry == "rz" else (0, 1, 2)
    for a in axes:
        def flux(x, a=a):
            cc = list(c)
            cc[a] = x
            def ua(y):
                c2 = list(cc)
                c2[a] = y
                return u(*c2)
            w = cc[0] if (geometry == "rz" and a == 0) else 1.0
            return w * k(*cc) * d1(ua, x, h)
        div = d1(flux, c[a], h)
        total = total + (div / c[0] if (geometry == "rz" and a == 0) else div)
    return total


def centres(grid):
    """Cell-centre coordinate arrays broadcast to the cell shape."""
    c = [grid.centres(a) for a in range(3)]
    return np.meshgrid(*c, indexing="ij")


def observed_orders(errors):
    """log2 ratios of successive errors (grids refined by 2)."""
    e = np.asarray(errors)
    return np.log2(e[:-1] / e[1:])


def cell_average_source(u, k, grid, h):
    """Cell average of -div(k grad u) by 2-point Gauss quadrature per axis [A/m3]
    (r-weighted for "rz"), so the manufactured source carries no quadrature error."""
    gp, gw = np.polynomial.legendre.leggauss(2)
    lo = [grid.faces[a][:-1] for a in range(3)]
    wd = [grid.widths(a) for a in range(3)]
    axes = (0, 2) if grid.geometry == "rz" else (0, 1, 2)
    total, weight = 0.0, 0.0
    for q0 in range(2):
        for q1 in range(2 if 1 in axes else 1):
            for q2 in range(2):
                q = (q0, q1, q2)
                pts = [lo[a] + wd[a] * 0.5 * (1 + gp[q[a]]) if a in axes else lo[a] + 0.5 * wd[a]
                       for a in range(3)]
                c = np.meshgrid(*pts, indexing="ij")
                w = np.prod([gw[q[a]] if a in axes else 1.0 for a in range(3)])
                if grid.geometry == "rz":
                    w = w * c[0]
                total = total + w * -flux_divergence(u, k, grid.geometry, c, h)
                weight = weight + w
    return total / weight


# --- FV diffusion operator, no interface (tests/verification/test_fv_mms.py) ---------------

def smooth_faces(length, n, amp=0.08):
    """Smoothly stretched faces: x = L (s + amp sin(2 pi s)), s uniform."""
    s = np.linspace(0.0, 1.0, n + 1)
    return length * (s + amp * np.sin(2 * np.pi * s))


GRADED_SHARES = (0.3, 0.45, 0.25)  # layer shares of the graded test mesh
GRADED_CELLS = 4  # graded cells per layer at scale 1 (n must be 12 times a power of 2)


def graded_faces(length, n, ratio=2.5):
    """Faces of the pot builder's graded mesh family (cellsim.fields.pot._segments) over
    [0, length]: three layers of unequal thickness (GRADED_SHARES), each of GRADED_CELLS
    cells growing geometrically from both faces to the middle (middle / end width =
    ``ratio``), every cell split into n / 12 equal cells. The spacing is not smooth: the
    width ratio of neighbours stays q = ratio^(1/(GRADED_CELLS/2 - 1)) at the faces of the
    scale-1 cells and jumps at the layer joints on every refinement, as in the r-z pot."""
    from cellsim.fields.pot import _segments
    base = GRADED_CELLS * len(GRADED_SHARES)
    parts = [("layer", length * share, GRADED_CELLS, ratio) for share in GRADED_SHARES]
    faces, _ = _segments(parts, n / base)
    return faces


def mesh_faces(mesh, length, n, amp=0.08):
    """``smooth_faces`` (mesh "smooth") or ``graded_faces`` (mesh "graded")."""
    if mesh == "graded":
        return graded_faces(length, n)
    if mesh != "smooth":
        raise ValueError(f"mesh must be 'smooth' or 'graded', got {mesh!r}")
    return smooth_faces(length, n, amp)


def solve_mms(geometry, n, u, k, kind, mesh="smooth"):
    if geometry == "rz":
        faces = (mesh_faces(mesh, 0.5, n), np.array([0.0, 2 * np.pi]), mesh_faces(mesh, 0.4, 2 * n))
        sides = ("r+", "z-", "z+")
    else:
        faces = (smooth_faces(0.3, n), smooth_faces(0.2, n, -0.05), smooth_faces(0.25, n))
        sides = fvm.SIDES
    shape = tuple(f.size - 1 for f in faces)
    grid = Grid(geometry, faces, np.zeros(shape, np.int32), {"all": 0})
    c = centres(grid)
    h = 1e-4
    if geometry == "rz":  # r-weighted cell average: the axis cells need it for order 2
        source = cell_average_source(u, k, grid, h)
    else:  # the midpoint value is an O(h^2) cell average in Cartesian cells
        source = -flux_divergence(u, k, geometry, c, h)
    bcs = {}
    for side in sides:
        a, high = fvm.side_index(side)
        cc = [x[fvm.side_slice(a, high, shape[a], False)] for x in c]
        cc[a] = np.full_like(cc[a], faces[a][-1] if high else faces[a][0])
        bcs[side] = fvm.dirichlet(u(*cc))
    op = fvm.assemble(grid, k(*c), bcs, source)
    phi = make_solver(*op.g, kind=kind).solve(op.b, rtol=1e-12)
    err = np.abs(phi - u(*c))
    vol = grid.volumes()
    return np.max(err), np.sqrt(np.sum(err**2 * vol) / np.sum(vol))


def u_rz(r, t, z):
    return np.cos(2.0 * r) * np.exp(-z) + 0.3 * r**2 * z


def k_rz(r, t, z):
    return 50.0 * (1.0 + 0.5 * np.sin(3.0 * r + 2.0 * z))


def u_xyz(x, y, z):
    return np.sin(4.0 * x + 1.0) * np.cos(5.0 * y) * np.exp(2.0 * z)


def k_xyz(x, y, z):
    return 2.0e3 * (1.0 + 0.4 * np.cos(6.0 * x) * np.sin(8.0 * z + y))


# --- current with the Butler-Volmer jump (tests/verification/test_current_mms.py) ----------
#
# Manufactured solutions with the electrode potential jump (Butler-Volmer, nonlinear).
#
# Two regions meet on a horizontal face plane z = z_i. With j(x) [A/m2] the current
# density along +z at the interface and s = +1 when the metal lies below (anode, anodic
# current) or -1 when it lies above (cathode), the exact potential is
#
#     lower: u1 = -j (z - z_i) / k1 + B1 (z - z_i)^2 c(x)
#     upper: u2 = -j (z - z_i) / k2 - s eta(s j) + B2 (z - z_i)^2 c(x)
#
# so the normal current is continuous and the jump u1 - u2 = s eta(s j) is the overpotential
# of the Butler-Volmer law with the local current density. Dirichlet data elsewhere. Orders
# are measured as in test_fv_mms (L2 >= 1.95, max >= 1.85 between the finest grids).

KIN = Kinetics(i0=1.0e4, temperature=1023.0, alpha_a=0.6, alpha_c=0.4)
J0, ZI, L = 5.0e4, 0.05, 0.1
K1, K2, B1, B2 = 1.0e5, 1.0e4, 20.0, -10.0


def eta(j):
    j = np.asarray(j, dtype=np.float64)
    flat = np.ascontiguousarray(j.reshape(-1))
    out, slope = np.empty_like(flat), np.empty_like(flat)
    par = [np.full(flat.size, v) for v in (KIN.i0, KIN.alpha_a, KIN.alpha_c, KIN.nf)]
    bv_linearise(flat, *par, out, slope)
    return out.reshape(j.shape)


def horizontal(geometry):
    """S(x, y) and j(x, y) [A/m2] of the case (y unused for "rz")."""
    if geometry == "rz":
        def shape_fn(x, y):
            return np.cos(np.pi * x / L)
    else:
        def shape_fn(x, y):
            return np.cos(np.pi * x / L) * np.cos(0.5 * np.pi * y / L)

    def jz(x, y):
        return J0 * (1.0 + 0.5 * shape_fn(x, y))
    return shape_fn, jz


def hlap(f, geometry, x, y, h=1e-5):
    """Horizontal Laplacian of f(x, y) (axisymmetric in r for "rz"), 4th-order FD."""
    if geometry == "rz":
        return d1(lambda r: r * d1(lambda q: f(q, y), r, h), x, h) / x
    return d1(lambda q: d1(lambda p: f(p, y), q, h), x, h) + d1(lambda q: d1(lambda p: f(x, p), q, h), y, h)


def region_fields(geometry, s):
    """(jump term C(x, y), curvature B, conductivity K) of the lower and upper region."""
    shape_fn, jz = horizontal(geometry)
    return shape_fn, jz, ((lambda x, y: 0.0 * x, B1, K1),
                          (lambda x, y: -s * eta(s * jz(x, y)), B2, K2))


def exact_and_source(grid, s):
    """Exact cell-centre values and cell-average sources [A/m3] of both regions."""
    geometry = grid.geometry
    shape_fn, jz, regions = region_fields(geometry, s)
    x, y = grid.centres(0)[:, None], grid.centres(1)[None, :]
    zc = grid.centres(2)[None, None, :] - ZI
    z2 = zc**2 + grid.widths(2)[None, None, :] ** 2 / 12.0  # cell average of (z - z_i)^2
    if geometry == "rz":  # r-weighted 2-point Gauss average over each radial cell
        lo, w = grid.faces[0][:-1, None], grid.widths(0)[:, None]
        pts = [lo + w * 0.5 * (1 + g) for g in (-1 / np.sqrt(3), 1 / np.sqrt(3))]
        def avg(f):
            return sum(p * f(p, y) for p in pts) / sum(pts)
    else:
        def avg(f):
            return f(x, y)
    exact, source = [], []
    for c_fn, b, k in regions:
        u = (-jz(x, y)[..., None] * zc / k + c_fn(x, y)[..., None] + b * zc**2 * shape_fn(x, y)[..., None])
        lap = (-avg(lambda p, q: hlap(jz, geometry, p, q))[..., None] * zc / k
               + avg(lambda p, q: hlap(c_fn, geometry, p, q))[..., None]
               + b * z2 * avg(lambda p, q: hlap(shape_fn, geometry, p, q))[..., None]
               + 2.0 * b * avg(shape_fn)[..., None])
        exact.append(u)
        source.append(-k * lap)
    return exact, source


def solve_jump(geometry, n, s, mesh="smooth"):
    """Max-norm and L2 errors of the jump problem on the n-cell grid, and Newton iterations
    (mesh "graded": both regions and x on ``graded_faces``)."""
    if mesh == "graded":
        zl = graded_faces(ZI, n)
        zf = np.concatenate((zl, ZI + zl[1:]))
        xf = graded_faces(L, n)
    else:
        zf = np.linspace(0.0, 2 * ZI, 2 * n + 1)
        sx = np.linspace(0.0, 1.0, n + 1)
        xf = L * (sx + 0.06 * np.sin(2 * np.pi * sx))
    faces = (xf, np.array([0.0, 2 * np.pi]), zf) if geometry == "rz" else (xf, xf.copy(), zf)
    shape = tuple(f.size - 1 for f in faces)
    lower, upper = ("anode_alloy", "electrolyte") if s > 0 else ("electrolyte", "cathode_metal")
    mat = np.zeros(shape, np.int32)
    mat[:, :, n:] = 1
    grid = Grid(geometry, faces, mat, {lower: 0, upper: 1})
    below = mat == 0
    (ex1, ex2), (src1, src2) = exact_and_source(grid, s)
    exact, source = np.where(below, ex1, ex2), np.where(below, src1, src2)
    shape_fn, jz, regions = region_fields(geometry, s)
    bcs = {}
    for side in (("r+",) if geometry == "rz" else ("x-", "x+", "y-", "y+")) + ("z-", "z+"):
        a, high = fvm.side_index(side)
        sl = fvm.side_slice(a, high, shape[a], False)
        c = [grid.centres(0)[:, None, None], grid.centres(1)[None, :, None],
             grid.centres(2)[None, None, :]]
        c[a] = np.array(faces[a][-1] if high else faces[a][0]).reshape((1, 1, 1))
        zc = c[2] - ZI
        vals = [-jz(c[0], c[1]) * zc / k + c_fn(c[0], c[1]) + b * zc**2 * shape_fn(c[0], c[1])
                for c_fn, b, k in regions]
        full = np.where(below, *[np.broadcast_to(v, shape) for v in vals]) if a != 2 else \
            np.broadcast_to(vals[int(high)], shape[:2] + (1,))
        bcs[side] = fvm.dirichlet(np.ascontiguousarray(full[sl] if a != 2 else full[:, :, 0]))
    metal = "anode_alloy" if s > 0 else "cathode_metal"
    el = Electrode("anode" if s > 0 else "cathode", metal, "electrolyte", KIN)
    solver = CurrentSolver(grid, [el], None, None, solver="direct" if geometry == "rz" else "multigrid",
                           bcs=bcs)
    sol = solver.solve(np.where(below, K1, K2), 0.0, source=source, rtol=1e-12, tol=1e-12)
    err = np.abs(sol.phi - exact)
    vol = grid.volumes()
    return np.max(err), np.sqrt(np.sum(err**2 * vol) / np.sum(vol)), sol.newton_iterations
