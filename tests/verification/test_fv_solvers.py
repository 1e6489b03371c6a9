"""Linear solvers: agreement with a sparse direct reference, reuse, clear failure."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from cellsim.fields import fvm
from cellsim.fields.grid import Grid, stretched_faces
from cellsim.fields.solvers import (ConvergenceError, DirectSolver, MultigridSolver, _rounding_floor,
                                    make_solver)
from cellsim.kernels import fv

pytestmark = pytest.mark.verification


def layered(shape, rng, dead=True, ratio=1.02):
    """Random layered coefficients (contrast 1e4, +-50 % noise), some inactive cells."""
    faces = tuple(stretched_faces(1.0, n, ratio) for n in shape)
    grid = Grid("xyz", faces, np.zeros(shape, np.int32))
    zc = grid.centres(2)
    k = np.broadcast_to(np.where(zc < 0.4, 1e6, np.where(zc < 0.6, 100.0, 3e6)), shape).copy()
    k *= 0.5 + rng.random(shape)
    if dead:
        k[: shape[0] // 4, : shape[1] // 4, -shape[2] // 4:] = 0.0  # an insulating corner
    return fvm.assemble(grid, k, {"z+": fvm.dirichlet(0.0), "z-": fvm.neumann(1e3)})


def reference(op):
    indptr, indices, data = fv.assemble_csr(*op.g)
    a = scipy.sparse.csr_matrix((data, indices, indptr))
    return scipy.sparse.linalg.spsolve(a.tocsc(), op.b.reshape(-1)).reshape(op.b.shape)


@pytest.mark.parametrize("shape", [(12, 10, 16), (1, 9, 33), (17, 1, 23)])
@pytest.mark.parametrize("kind", ["direct", "lu", "cholesky", "multigrid"])
def test_solvers_match_sparse_direct(shape, kind):
    op = layered(shape, np.random.default_rng(sum(shape)))
    u = make_solver(*op.g, kind=kind).solve(op.b, rtol=1e-12)
    ref = reference(op)
    assert np.max(np.abs(u - ref)) <= 1e-9 * np.max(np.abs(ref))


def flat_cells(n, rng):
    """Layered box with flat cells (dz = dx / 4) and noisy coefficients, like a pot mesh."""
    faces = (stretched_faces(1.0, n), stretched_faces(1.0, n), stretched_faces(0.25, n))
    grid = Grid("xyz", faces, np.zeros((n, n, n), np.int32))
    zc = grid.centres(2)
    k = np.broadcast_to(np.where(zc < 0.1, 1e6, np.where(zc < 0.15, 100.0, 3e6)), (n, n, n))
    k = k * (0.5 + rng.random((n, n, n)))
    return fvm.assemble(grid, k, {"z+": fvm.dirichlet(0.0), "z-": fvm.neumann(1e3)})


def test_multigrid_iterations_stay_flat():
    """z-line smoothing keeps the iteration count flat on flat cells (measured 6, 8, 9 at
    16^3, 32^3, 64^3; point Gauss-Seidel needs 19, 26, 34)."""
    its = []
    for n in (16, 32):
        s = MultigridSolver(*flat_cells(n, np.random.default_rng(n)).g)
        s.solve(flat_cells(n, np.random.default_rng(n)).b, rtol=1e-8)
        its.append(s.last_iterations)
    assert its[1] <= its[0] + 3 and its[1] <= 10, its


def test_direct_solver_reuses_factorisation():
    rng = np.random.default_rng(4)
    op = layered((20, 1, 30), rng)
    s = DirectSolver(*op.g)
    s.solve(op.b, rtol=1e-8)
    assert s.last_iterations <= 2  # exact factorisation: one step (+1 for round-off)
    g2 = tuple(g * (1.0 + 0.01 * rng.random(g.shape)) for g in op.g)
    s.update(*g2)
    u = s.solve(op.b, rtol=1e-12)
    assert s.n_factorisations == 1 and 1 < s.last_iterations <= 8
    op2 = fvm.Operator(g2, op.b)
    r = np.empty_like(u)
    floor = _rounding_floor(op2.g, u)  # the contrast 1e4 puts round-off near 1e-10 ||b||
    assert np.sqrt(fv.residual(*op2.g, u, op2.b, r)) <= max(1e-12 * np.linalg.norm(op.b), floor)


def test_band_cholesky_is_the_exact_inverse():
    """The band Cholesky of A + diag d (assembled from the faces, the longest axis slowest)
    applied once to b = (A + diag d) x returns x to round-off, for each axis being the
    longest, with inactive cells (no coefficient: decoupled, unit diagonal); its factor is
    kept across an update and renewed by the PCG policy as the LU's."""
    from cellsim.fields.solvers import BACKENDS, LinearSolver, StencilOperator

    rng = np.random.default_rng(11)
    for shape in ((17, 1, 23), (23, 1, 17), (1, 9, 33), (6, 5, 8)):
        op = layered(shape, rng)
        d = 1e2 * rng.random(shape) * (op.g[0][1:] + op.g[0][:-1] > 0)
        so = StencilOperator(*op.g, d)
        backend = BACKENDS["cholesky"](so)
        assert backend.bandwidth == int(np.prod(shape)) // max(shape)
        x = rng.random(shape)
        b = np.empty(shape)
        so.apply(x, b)
        active = so.diagonal() > 0
        b[~active] = 0.0
        z = np.empty(shape)
        backend(b, z)
        assert np.max(np.abs(z - x)[active]) <= 1e-9 * np.max(np.abs(x))
    op = layered((20, 1, 30), rng)
    s = LinearSolver(StencilOperator(*op.g), "cholesky", refactor_after=8)
    s.solve(op.b, rtol=1e-8)
    assert s.last_iterations <= 2
    s.update(*(g * (1.0 + 0.01 * rng.random(g.shape)) for g in op.g))
    s.solve(op.b, rtol=1e-12)
    assert s.n_factorisations == 1 and 1 < s.last_iterations <= 8


def _band_solve_two_index(ab, x):
    """The band Cholesky solve of kernels.linalg as it was written before its sweeps ran on
    row slices (two-index loads; the reference of the bit-for-bit test below)."""
    n, bw = ab.shape[0], ab.shape[1] - 1
    for k in range(n):
        x[k] /= ab[k, 0]
        xk = x[k]
        m = min(bw, n - 1 - k)
        for q in range(1, m + 1):
            x[k + q] -= ab[k, q] * xk
    for k in range(n - 1, -1, -1):
        m = min(bw, n - 1 - k)
        s0_, s1_, s2_, s3_ = 0.0, 0.0, 0.0, 0.0
        q = 1
        while q + 3 <= m:
            s0_ += ab[k, q] * x[k + q]
            s1_ += ab[k, q + 1] * x[k + q + 1]
            s2_ += ab[k, q + 2] * x[k + q + 2]
            s3_ += ab[k, q + 3] * x[k + q + 3]
            q += 4
        while q <= m:
            s0_ += ab[k, q] * x[k + q]
            q += 1
        x[k] = (x[k] - ((s0_ + s1_) + (s2_ + s3_))) / ab[k, 0]


def test_band_cholesky_solve_is_the_two_index_loops_bit_for_bit():
    """The band Cholesky solve on row slices (kernels.linalg.band_cholesky_stencil_solve)
    gives the numbers of the two-index loops it replaced, bit for bit, for half-bandwidths
    that are and are not multiples of four (the backward sweep's four partial sums and its
    tail), each axis the longest, and rows near the end where the band is cut."""
    from numba import njit

    from cellsim.fields.solvers import BACKENDS, StencilOperator
    from cellsim.kernels import linalg as la

    ref = njit(_band_solve_two_index)
    rng = np.random.default_rng(17)
    for shape in ((17, 1, 23), (23, 1, 17), (1, 9, 33), (30, 1, 13), (6, 5, 8), (5, 1, 2)):
        op = layered(shape, rng, dead=shape[0] > 5)
        d = 1e2 * rng.random(shape)
        backend = BACKENDS["cholesky"](StencilOperator(*op.g, d))
        s0, s1, s2 = backend.strides
        for _ in range(3):
            r = rng.standard_normal(shape)
            z = np.empty(shape)
            la.band_cholesky_stencil_solve(backend._ab, s0, s1, s2, r, z, np.empty(r.size))
            x = np.empty(r.size)
            for i in range(shape[0]):
                for j in range(shape[1]):
                    for k in range(shape[2]):
                        x[i * s0 + j * s1 + k * s2] = r[i, j, k]
            ref(backend._ab, x)
            expect = np.empty(shape)
            for i in range(shape[0]):
                for j in range(shape[1]):
                    for k in range(shape[2]):
                        expect[i, j, k] = x[i * s0 + j * s1 + k * s2]
            assert np.array_equal(z, expect)


def test_band_pcg_kernel_is_the_python_loop_bit_for_bit():
    """The PCG with the band Cholesky preconditioner as one kernel (one thread:
    kernels.linalg.pcg_band_cholesky) gives the iterates of ``pcg``'s Python loop over the
    one-thread kernels (the reference: the same backend called through a plain function, which
    ``pcg`` does not fuse), bit for bit, with and without a shift, from zero and from a warm
    start, with a stale factor (several iterations) and a fresh one; the accuracy is that of
    the definition: ||b - (A + diag d) x|| at most the required rtol ||b|| (or the rounding
    floor) when the solve stagnates before ``want``."""
    from cellsim.fields.solvers import BACKENDS, StencilOperator, pcg, threads_for

    rng = np.random.default_rng(5)
    for shape, shifted in (((17, 1, 23), True), ((23, 1, 17), False), ((12, 1, 30), True)):
        threads_for(int(np.prod(shape)))  # r-z sizes: one thread
        op = layered(shape, rng)
        d = 1e2 * rng.random(shape) * (op.g[0][1:] + op.g[0][:-1] > 0) if shifted else None
        g_old = tuple(g * (1.0 + 0.05 * rng.random(g.shape)) for g in op.g)
        for factor_g in (g_old, op.g):  # a stale factor, then the exact one
            backend = BACKENDS["cholesky"](StencilOperator(*factor_g, d))
            so = StencilOperator(*op.g, d)
            b = rng.standard_normal(shape)
            b[so.diagonal() == 0.0] = 0.0
            for x0 in (np.zeros(shape), 0.1 * rng.standard_normal(shape)):
                x_fused, x_loop = x0.copy(), x0.copy()
                n_fused = pcg(so, backend, b, x_fused, 1e-6, 50, "fused", want=1e-12)
                n_loop = pcg(so, lambda r, z: backend(r, z), b, x_loop, 1e-6, 50, "loop", want=1e-12)
                assert n_fused == n_loop >= 1
                assert np.array_equal(x_fused, x_loop)
                res = np.empty(shape)
                assert np.sqrt(so.residual(x_fused, b, res)) <= max(1e-6 * np.linalg.norm(b),
                                                                    so.rounding_floor(x_fused))
            if factor_g is g_old:
                assert n_fused > 2  # the stale factor: several iterations


def test_band_cholesky_refuses_an_indefinite_operator():
    from cellsim.fields.solvers import BACKENDS, StencilOperator

    op = layered((8, 1, 12), np.random.default_rng(2), dead=False)
    so = StencilOperator(*op.g, -3.0 * StencilOperator(*op.g).diagonal())
    with pytest.raises(ConvergenceError, match="not positive definite"):
        BACKENDS["cholesky"](so)


def test_non_convergence_raises():
    op = layered((16, 16, 16), np.random.default_rng(1))
    with pytest.raises(ConvergenceError, match="no convergence"):
        MultigridSolver(*op.g).solve(op.b, rtol=1e-12, maxiter=2)


def test_configured_backends_are_the_registry():
    """numerics.linear_solver names the backends of fields.solvers.BACKENDS (the schema lists
    them without importing the field modules); a name outside them is refused by key."""
    from cellsim.config import load_config
    from cellsim.config.errors import ConfigError
    from cellsim.config.schema import SOLVER_BACKENDS
    from cellsim.fields.solvers import BACKENDS

    assert set(SOLVER_BACKENDS) == set(BACKENDS)
    from cellsim.config.schema import LinearSolvers
    from cellsim.config.fields import spec_of
    from cellsim.fields.species import LINEAR_SOLVERS
    from cellsim.fields.species_linear import SOLVERS

    species = next(f for f in dataclasses.fields(LinearSolvers) if f.name == "species")
    assert set(spec_of(species).choices) == set(LINEAR_SOLVERS) == set(SOLVERS) | {"auto"}
    with pytest.raises(ConfigError) as info:
        load_config("rusal-3kA", ['numerics.linear_solver.heat="qr"'])
    message = str(info.value)
    assert "numerics.linear_solver.heat" in message and "qr" in message
    assert all(repr(name) in message for name in ("auto",) + SOLVER_BACKENDS)


@pytest.mark.parametrize("shape", [(9, 1, 14), (6, 5, 8)])
@pytest.mark.parametrize("kind", ["auto", "lu", "cholesky", "multigrid", "jacobi"])
def test_every_heat_backend_solves_the_shifted_system(shape, kind):
    """(A + diag d) x = b by each heat backend against a sparse direct solve of the same
    matrix, steady (d = 0) and with a backward-Euler shift."""
    from cellsim.fields.heat_linear import ShiftedSolver

    rng = np.random.default_rng(7)
    op = layered(shape, rng, dead=False)
    indptr, indices, data = fv.assemble_csr(*op.g)
    a = scipy.sparse.csr_matrix((data, indices, indptr))
    solver = ShiftedSolver(shape, kind)
    for d in (np.zeros(shape), 1e3 * (0.5 + rng.random(shape))):
        x = solver.solve(op.g, d, op.b, rtol=1e-11)
        ref = scipy.sparse.linalg.spsolve((a + scipy.sparse.diags(d.reshape(-1))).tocsc(),
                                          op.b.reshape(-1)).reshape(shape)
        assert np.max(np.abs(x - ref)) <= 1e-8 * np.max(np.abs(ref))
        # a second right-hand side on the operator of that call (``same``, the heater
        # response of a Newton iteration): the sparse solution again, and the numbers of a
        # call that compares the operator instead
        b2 = np.ascontiguousarray(op.b[::-1, :, ::-1])
        x2 = solver.solve(op.g, d, b2, rtol=1e-11, same=True)
        ref2 = scipy.sparse.linalg.spsolve((a + scipy.sparse.diags(d.reshape(-1))).tocsc(),
                                           b2.reshape(-1)).reshape(shape)
        assert np.max(np.abs(x2 - ref2)) <= 1e-8 * np.max(np.abs(ref2))
        assert np.array_equal(x2, solver.solve(op.g, d, b2, rtol=1e-11))
    with pytest.raises(ValueError, match="heat solver kind must be one of"):
        ShiftedSolver(shape, "qr")


def test_numerics_choose_the_backend_of_each_field():
    """The names in numerics.linear_solver reach the field providers of a model."""
    from cellsim.config import load_config
    from cellsim.models import make_model

    sets = ['numerics.resolution="coarse"', 'numerics.linear_solver.current="multigrid"',
            'numerics.linear_solver.heat="jacobi"', 'numerics.linear_solver.species="sparse"']
    model = make_model(load_config("rusal-3kA", sets))
    physics = model.physics
    assert physics.electrical._current_solver._solver.backend_name == "multigrid"
    assert physics.thermal.heat_solver.linear.kind == "jacobi"
    assert physics.species.field.options.linear_solver == "sparse"


@pytest.mark.parametrize("cell", ["rusal-3kA", "rusal-500A"])
def test_auto_backend_of_the_reference_pots_follows_the_measured_crossover(cell):
    """The r-z pots' "auto" backend: the band Cholesky on the default and "fine" grids, where
    whole campaigns ran 1.45-2.2x faster on it than on SuperLU, and SuperLU on the 4x grid, where
    the band ran 1.3x slower (benchmarks/bench_backend.py; solvers.CHOLESKY_MAX_WORK)."""
    from cellsim.config import load_config
    from cellsim.fields import pot
    from cellsim.fields.solvers import CholeskyBackend, default_backend

    cfg = load_config(cell, ['numerics.model="axisymmetric"'])
    backends = {}
    for name, scale in (("default", 1.0), ("fine", 2.0), ("x4", 4.0)):
        shape = pot._mesh_rz(cfg, scale).grid.shape
        n = int(np.prod(shape))
        backends[name] = default_backend(shape)
        # the work the threshold compares: cells x half-bandwidth^2 (the two short extents)
        assert CholeskyBackend.bandwidth_of(shape) == sorted(shape)[0] * sorted(shape)[1]
        assert (n * CholeskyBackend.bandwidth_of(shape) ** 2 <= 3e8) == (backends[name] == "cholesky")
    assert backends == {"default": "cholesky", "fine": "cholesky", "x4": "lu"}


def test_shifted_solver_band_path_is_the_general_path():
    """heat_linear.ShiftedSolver's band Cholesky path (``_renew_cholesky``: the comparison
    with the kept operator, its copy and the inactive cells in one kernel,
    kernels.linalg.renew_key) solves as the general path (StencilOperator.same_as, copy,
    LinearSolver.update) bit for bit: the same solutions, iterations and factorisations over a
    sequence of operators that stay, change in the shift only, change in a face, and gain
    inactive cells; and it is the exact solve of each operator (scipy's sparse LU)."""
    from cellsim.fields.heat_linear import ShiftedSolver
    from cellsim.fields.solvers import StencilOperator, threads_for
    from cellsim.kernels import linalg as la

    rng = np.random.default_rng(21)
    shape = (14, 1, 19)
    threads_for(int(np.prod(shape)))
    op = layered(shape, rng, dead=False)
    d0 = 1e1 * rng.random(shape)
    fast, general = ShiftedSolver(shape, "cholesky"), ShiftedSolver(shape, "cholesky")
    general._renew_cholesky = lambda g, d: False  # the general path only
    g, d = [a.copy() for a in op.g], d0.copy()
    steps = []
    for change in ("first", "same", "shift", "face", "same", "inactive", "shift"):
        if change == "shift":
            d = d * (1.0 + 0.3 * rng.random(shape))
        elif change == "face":
            g[2] = g[2].copy()
            g[2][3, 0, 5] *= 1.5
        elif change == "inactive":  # a cell without any coefficient (its faces and shift 0)
            g = [a.copy() for a in g]
            g[0][5:7, 0, 8] = 0.0
            g[2][5, 0, 8:10] = 0.0
            d = d.copy()
            d[5, 0, 8] = 0.0
        b = rng.standard_normal(shape)
        b[StencilOperator(*g, d).diagonal() == 0.0] = 0.0
        xf = fast.solve(g, d, b, rtol=1e-10)
        xg = general.solve(g, d, b, rtol=1e-10)
        assert np.array_equal(xf, xg), change
        assert fast.last_iterations == general.last_iterations
        assert fast.n_factorisations == general.n_factorisations
        steps.append(change)
        a = StencilOperator(*g, d).csc()
        live = StencilOperator(*g, d).diagonal().reshape(-1) > 0.0
        ref = scipy.sparse.linalg.spsolve(a[live][:, live].tocsc(), b.reshape(-1)[live])
        assert np.allclose(xf.reshape(-1)[live], ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
        if change == "inactive":
            assert xf[5, 0, 8] == 0.0 and fast._solvers["cholesky"]._inactive[5, 0, 8]
    # the kernel's own answers: -1 for the same coefficients, else the inactive count
    key = [a.copy() for a in g] + [d.copy()]
    mask = np.empty(shape, dtype=np.bool_)
    assert la.renew_key(*g, d, *key, mask) == -1
    d2 = d.copy()
    d2[0, 0, 0] += 1.0
    assert la.renew_key(*g, d2, *key, mask) == 1 and np.array_equal(key[3], d2)
    assert np.array_equal(mask, StencilOperator(*g, d2).diagonal() == 0.0)


def test_count_changed_counts_what_numpy_counts():
    """kernels.linalg.count_changed against the same count in NumPy: coefficients beyond the
    relative limit, those that become or leave 0, and NaN; an unshifted operator (empty d)."""
    from cellsim.kernels import linalg as la

    rng = np.random.default_rng(5)
    shape = (6, 5, 7)
    key = [rng.random((7, 5, 7)), rng.random((6, 6, 7)), rng.random((6, 5, 8)), rng.random(shape)]
    key[0][0] = 0.0  # boundary faces without coupling
    new = [k * (1.0 + 0.04 * rng.uniform(-1.0, 1.0, k.shape)) for k in key]
    assert la.count_changed(*new, *key, 0.05) == 0
    new[1][2, 3, 4] = key[1][2, 3, 4] * 1.06  # beyond 5 %
    new[2][1, 1, 1] = 0.0  # leaves 0
    new[0][0, 2, 2] = 1e-30  # becomes non-zero
    new[3][4, 4, 4] = np.nan
    expect = sum(int(np.sum(~(np.abs(a - k) <= 0.05 * np.abs(k)))) for a, k in zip(new, key))
    assert expect == 4 and la.count_changed(*new, *key, 0.05) == 4
    empty = np.zeros(0)
    assert la.count_changed(*new[:3], empty, *key[:3], empty, 0.05) == 3
    assert la.count_changed(*key, *key, 0.0) == 0


def test_shifted_solver_keeps_its_multigrid_hierarchy_while_the_operator_is_near():
    """heat_linear.ShiftedSolver's multigrid path keeps the hierarchy while every coefficient
    stays within ``multigrid_reuse`` of those it was built for (compared with the build, so
    small changes do not add up unnoticed) and builds a new one beyond, or when the shift
    appears; each solve meets its tolerance on the operator of that call (the residual
    computed here with scipy's sparse matrix), and the kept V-cycle needs no more iterations
    than a new one beyond the (1 + delta) / (1 - delta) bound on the condition number."""
    from cellsim.fields.heat_linear import ShiftedSolver
    from cellsim.fields.solvers import StencilOperator, threads_for

    rng = np.random.default_rng(8)
    shape = (12, 10, 16)
    threads_for(int(np.prod(shape)))
    op = layered(shape, rng, dead=False)
    g0, d0 = [a.copy() for a in op.g], 1e3 * rng.random(shape)
    kept, fresh = ShiftedSolver(shape, "multigrid"), ShiftedSolver(shape, "multigrid")
    fresh.multigrid_reuse = 0.0  # a new hierarchy at every new operator (the former policy)
    builds = []
    for step, (scale, kind) in enumerate([(0.0, "first"), (0.01, "near"), (0.02, "near"),
                                          (0.04, "near (drifted 4 % from the build)"),
                                          (0.07, "far"), (0.0, "unshifted")]):
        g = [a * (1.0 + scale * rng.random(a.shape)) for a in g0]
        d = d0 * (1.0 + scale) if kind != "unshifted" else np.zeros(shape)
        b = rng.standard_normal(shape)
        x = kept.solve(g, d, b, rtol=1e-10)
        a = StencilOperator(*g, d).csc()
        res = np.linalg.norm(b.reshape(-1) - a @ x.reshape(-1))
        assert res <= 1e-10 * np.linalg.norm(b), kind
        fresh.solve(g, d, b, rtol=1e-10)
        assert kept.last_iterations <= fresh.last_iterations + 2, kind
        builds.append(kept.n_multigrid_builds)
    # kept over the three near operators (the 4 % step is 3-4 % from the build: within 5 %),
    # rebuilt for the far one (beyond 5 % of the build) and for the unshifted one
    assert builds == [1, 1, 1, 1, 2, 3]
    assert fresh.n_multigrid_builds == 6


@pytest.mark.parametrize("refactor_after", [10, 1])
def test_shifted_solver_solve_band_is_solve(refactor_after):
    """``ShiftedSolver.solve_band`` (the r-z heat Newton's solves: the kept band Cholesky
    solver's PCG kernel called without the layers between) gives what ``solve`` gives, bit for
    bit: the same x, iterations and factorisations over operators that stay, change in the
    shift or a face and gain inactive cells, for a correction (rtol and a wanted accuracy
    below it, from zero) and a heater-like second right-hand side on the same operator
    (``same``, from a warm start). refactor_after = 1: a stale factor fails its one iteration
    and the solve continues on a new factorisation (the path after the kernel's code). Each x
    is checked against the definition: ||b - (A + diag d) x|| <= rtol ||b|| or the rounding
    floor."""
    from cellsim.fields.heat_linear import ShiftedSolver
    from cellsim.fields.solvers import StencilOperator, threads_for

    rng = np.random.default_rng(33)
    shape = (16, 1, 21)
    threads_for(int(np.prod(shape)))
    op = layered(shape, rng, dead=False)
    band, general = ShiftedSolver(shape, "cholesky"), ShiftedSolver(shape, "cholesky")
    g, d = [a.copy() for a in op.g], 1e1 * rng.random(shape)
    x_warm = None
    for change in ("first", "same", "shift", "face", "same", "inactive", "shift", "face"):
        if change == "shift":
            d = d * (1.0 + 0.3 * rng.random(shape))
        elif change == "face":
            g[2] = g[2].copy()
            g[2][3, 0, 5] *= 1.5
            g[0] = g[0] * (1.0 + 0.02 * rng.random(g[0].shape))
        elif change == "inactive":
            g = [a.copy() for a in g]
            g[0][5:7, 0, 8] = 0.0
            g[2][5, 0, 8:10] = 0.0
            d = d.copy()
            d[5, 0, 8] = 0.0
        live = StencilOperator(*g, d).diagonal() != 0.0
        b, q = rng.standard_normal(shape) * live, rng.random(shape) * live
        for rtol, want in ((1e-6, 1e-9), (1e-10, None)):
            xb = band.solve_band(g, d, b, None, rtol, want)
            xg = general.solve(g, d, b, rtol=rtol, atol_rel=want)
            assert np.array_equal(xb, xg), change
            assert band.last_iterations == general.last_iterations, change
            # the heater response: the same operator, a warm start
            yb = band.solve_band(g, d, q, x_warm, 1e-9, same=True)
            yg = general.solve(g, d, q, rtol=1e-9, x0=x_warm, same=True)
            assert np.array_equal(yb, yg), change
            assert band.last_iterations == general.last_iterations, change
            assert band.n_factorisations == general.n_factorisations, change
            so, res = StencilOperator(*g, d), np.empty(shape)
            for x, rhs, tol in ((xb, b, rtol), (yb, q, 1e-9)):
                assert np.sqrt(so.residual(x, rhs, res)) <= max(tol * np.linalg.norm(rhs),
                                                                so.rounding_floor(x)), change
            x_warm = yb
        if change == "first":
            for s in (band, general):
                s._solvers["cholesky"].refactor_after = refactor_after
    if refactor_after == 1:  # the stale factor's failure and the new factorisation were exercised
        assert band.n_factorisations > 2
