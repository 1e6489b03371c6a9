"""Boundary conditions as data: exactness on piecewise-linear solutions and the sign rule."""

import numpy as np
import pytest

from cellsim.fields import fvm
from cellsim.fields.grid import Grid
from cellsim.fields.solvers import make_solver

pytestmark = pytest.mark.verification


def column(n=7, axis=2, k=(5.0, 0.2)):
    """A bar along ``axis`` of two materials (a series of two conductors), unit cross-section."""
    faces = [np.array([0.0, 1.0])] * 3
    faces[axis] = np.concatenate([np.linspace(0, 0.4, n + 1), np.linspace(0.4, 1.0, n + 1)[1:] ** 1.0])
    shape = tuple(f.size - 1 for f in faces)
    mat = np.zeros(shape, np.int32)
    idx = [slice(None)] * 3
    idx[axis] = slice(n, None)
    mat[tuple(idx)] = 1
    grid = Grid("xyz", tuple(faces), mat, {"a": 0, "b": 1})
    return grid, np.where(mat == 0, k[0], k[1])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_robin_and_flux_are_exact_in_series(axis):
    """Flux q enters at the low side; the high side loses it through h (u - u_ext).
    Exact: u(high face) = u_ext + q/h, and u rises by q * (length / k) per material."""
    grid, k = column(axis=axis)
    q, h, u_ext = 30.0, 12.0, 2.0
    lo, hi = fvm.SIDES[2 * axis], fvm.SIDES[2 * axis + 1]
    op = fvm.assemble(grid, k, {lo: fvm.neumann(q), hi: fvm.robin(h, u_ext)})
    u = make_solver(*op.g, kind="direct").solve(op.b, rtol=1e-11).reshape(-1)
    x = grid.centres(axis)
    u_face = u_ext + q / h
    exact = np.where(x < 0.4, u_face + q * (0.6 / 0.2 + (0.4 - x) / 5.0), u_face + q * (1.0 - x) / 0.2)
    np.testing.assert_allclose(u, exact, rtol=1e-10)
    flux = fvm.face_fluxes(grid, op, u.reshape(grid.shape))[axis].reshape(-1)
    np.testing.assert_allclose(flux, q, rtol=1e-9)  # positive along +axis everywhere


def test_prescribed_flux_sign_on_high_side():
    """flux > 0 on a high side means current leaving the domain along +axis."""
    grid, k = column()
    op = fvm.assemble(grid, k, {"z-": fvm.dirichlet(1.0), "z+": fvm.neumann(4.0)})
    u = make_solver(*op.g, kind="direct").solve(op.b, rtol=1e-11)
    flux = fvm.face_fluxes(grid, op, u)[2].reshape(-1)
    np.testing.assert_allclose(flux, 4.0, rtol=1e-9)
    assert u.reshape(-1)[-1] < 1.0  # current flows up: potential falls


def test_bad_input_is_rejected():
    grid, k = column()
    with pytest.raises(ValueError, match="non-negative"):
        fvm.assemble(grid, -k, {})
    with pytest.raises(ValueError, match="boundary side"):
        fvm.assemble(grid, k, {"w+": fvm.dirichlet(0.0)})


def test_assembler_reused_for_new_coefficients_stays_exact():
    """One fvm.Assembler (the geometry prepared once, as the current solver keeps it) serves
    several coefficient fields: each assembly is exact on its own series solution, and no
    call leaks into another's arrays."""
    q, h, u_ext = 30.0, 12.0, 2.0
    grid, _ = column(axis=2)
    assembler = fvm.Assembler(grid, {"z-": fvm.neumann(q), "z+": fvm.robin(h, u_ext)})
    x = grid.centres(2)
    ops = []
    for k_a, k_b in ((5.0, 0.2), (0.7, 3.0), (5.0, 0.2)):
        k = np.where(grid.material == 0, k_a, k_b)
        op = assembler(k)
        ops.append(op)
        u = make_solver(*op.g, kind="direct").solve(op.b, rtol=1e-11).reshape(-1)
        u_face = u_ext + q / h
        exact = np.where(x < 0.4, u_face + q * (0.6 / k_b + (0.4 - x) / k_a), u_face + q * (1.0 - x) / k_b)
        np.testing.assert_allclose(u, exact, rtol=1e-10)
    for a in range(3):  # the first and third calls (same k) agree; the second differs
        assert np.array_equal(ops[0].g[a], ops[2].g[a])
    assert not np.array_equal(ops[0].g[2], ops[1].g[2])
    np.testing.assert_array_equal(ops[0].b, ops[2].b)
