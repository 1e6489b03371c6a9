"""Manufactured steady solution of drift-diffusion with the exchange law at both interfaces
(resolved salt film, reservoirs) on smoothly stretched r-z and 3D grids. Shared by
tests/verification/test_species_mms.py (asserts the order) and the ``verification_summary``
validation case (reports it).

c = p(z) + F(lateral) sin^2(pi z / L): the lateral part and its normal derivative vanish on
the interfaces, so the Robin exchange condition c -/+ (S D / k_metal) dc/dz = S C_metal holds
with one metal concentration per interface; phi has zero normal derivative on every boundary,
so no drift crosses them (the scheme has none there). Sources by sympy, cell-averaged by 3-point
Gauss quadrature (r-weighted in r-z).
"""

import math

import numpy as np
import scipy.sparse.linalg as spla

from cellsim.elements import IMPURITIES
from cellsim.fields.grid import Grid
from cellsim.fields.species import N_SPECIES, MetalPool, SpeciesField, SpeciesOptions
from cellsim.units import FARADAY, GAS_CONSTANT

from ._mms import graded_faces

L, R, W = 1.0, 1.0, 0.8  # salt height, r-z radius, 3D width
D, K_METAL, S_A, S_C, T, AMP = 1e-3, 1e-2, 0.5, 2.0, 1000.0, 0.2
K = IMPURITIES.index("Fe")
MOBILITY = 2 * D * FARADAY / (GAS_CONSTANT * T)


def manufactured(geometry):
    import sympy as sp  # a test/validation extra, needed only here

    x, y, z = sp.symbols("x y z", real=True)
    p = 1 + z / 2 + sp.Rational(3, 10) * sp.sin(2 * z)
    if geometry == "rz":
        lateral = sp.cos(sp.pi * x / R)
    else:
        lateral = sp.cos(sp.pi * x / W) * sp.cos(sp.pi * y / W)
    c = p + lateral * sp.sin(sp.pi * z / L) ** 2
    phi = AMP * sp.cos(sp.pi * z / L) * (1 + sp.Rational(3, 10) * lateral)
    coords = (x, z) if geometry == "rz" else (x, y, z)
    J = [-D * sp.diff(c, s) - MOBILITY * c * sp.diff(phi, s) for s in coords]
    if geometry == "rz":
        div = sp.diff(x * J[0], x) / x + sp.diff(J[1], z)
    else:
        div = sum(sp.diff(Ji, s) for Ji, s in zip(J, coords))
    args = (x, y, z)
    f = [sp.lambdify(args, e, "numpy") for e in (c, phi, div)]
    p0, dp0 = float(p.subs(z, 0)), float(sp.diff(p, z).subs(z, 0))
    p1, dp1 = float(p.subs(z, L)), float(sp.diff(p, z).subs(z, L))
    lam_a, lam_c = S_A * D / K_METAL, S_C * D / K_METAL
    c_alloy = (p0 - lam_a * dp0) / S_A
    c_cath = (p1 + lam_c * dp1) / S_C
    return f, c_alloy, c_cath


def mapped(n, length, amp, periodic):
    s = np.linspace(0.0, 1.0, n + 1)
    bend = np.sin(2 * np.pi * s) / (2 * np.pi) if periodic else np.sin(np.pi * s) / np.pi
    return length * (s - amp * bend)


def build(geometry, n, mesh="smooth"):
    graded = mesh == "graded"
    zs = graded_faces(L, n) if graded else mapped(n, L, 0.5, True)
    zf = np.concatenate([[-0.1], zs, [L + 0.1]])
    if geometry == "rz":
        faces = (graded_faces(R, n) if graded else mapped(n, R, -0.25, False), np.array([0.0, 2 * np.pi]), zf)
    else:
        faces = (mapped(n, W, 0.5, True), mapped(n, W, 0.4, True), zf)
    shape = tuple(f.size - 1 for f in faces)
    mat = np.ones(shape, np.int32)
    mat[:, :, 0], mat[:, :, -1] = 0, 2
    return Grid(geometry, faces, mat, {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2})


def cell_average(f, grid):
    gp, gw = np.polynomial.legendre.leggauss(3)
    pts, wts = [], []
    for a in range(3):
        lo, w = grid.faces[a][:-1], grid.widths(a)
        if grid.geometry == "rz" and a == 1:
            pts.append([np.zeros(1)]), wts.append([1.0])
            continue
        pts.append([lo + 0.5 * w * (1 + q) for q in gp]), wts.append(0.5 * gw)
    num = den = 0.0
    for i, (p0, w0) in enumerate(zip(pts[0], wts[0])):
        for p1, w1 in zip(pts[1], wts[1]):
            for p2, w2 in zip(pts[2], wts[2]):
                X, Y, Z = np.meshgrid(p0, p1, p2, indexing="ij")
                weight = w0 * w1 * w2 * (X if grid.geometry == "rz" else 1.0)
                num = num + weight * f(X, Y, Z)
                den = den + weight
    return num / den


def species_errors(geometry, n, mesh="smooth"):
    """Volume-weighted L2 and max-norm errors of the salt concentration on the n-cell grid
    (mesh "graded": r and z on the pot builder's graded family, ``_mms.graded_faces``)."""
    (c_ex, phi_ex, div_ex), c_alloy, c_cath = manufactured(geometry)
    grid = build(geometry, n, mesh)
    opts = SpeciesOptions(salt_concentration=1.0, k_metal_anode=K_METAL, k_metal_cathode=K_METAL,
                          molecular_diffusivity=(D,) * N_SPECIES, eddy_diffusivity=0.0,
                          salt_film="resolved", migration=True)
    field = SpeciesField(grid, opts)
    X, Y, Z = np.meshgrid(*(grid.centres(a) for a in range(3)), indexing="ij")
    phi = phi_ex(X, Y, Z) * np.ones(grid.shape)
    conc = np.zeros(N_SPECIES)
    alloy = MetalPool(conc + c_alloy, 1.0, math.inf)
    cath = MetalPool(conc + c_cath, 1.0, math.inf)
    S_a, S_c = np.full(field.anode.cell.size, S_A), np.full(field.cathode.cell.size, S_C)
    A, b, _ = field.linear_system(K, math.inf, np.zeros(field.n), alloy, cath, S_a, S_c, T, phi)
    src = cell_average(div_ex, grid)[field.mask] * field.volumes
    x = spla.spsolve(A.tocsc(), b + src)  # rows are net outflows: A x - b = integral of div J
    exact = c_ex(X, Y, Z)[field.mask] * np.ones(field.n)
    err = x - exact
    vol = field.volumes
    return np.sqrt(np.sum(vol * err**2) / vol.sum()), np.abs(err).max()
