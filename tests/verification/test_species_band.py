"""The banded, bordered solve of the species step (kernels/species.bordered_factor +
bordered_iterate), with a fresh and with a reused (stale) factorisation,
against a dense LAPACK solve of the same matrix assembled independently (NumPy twin + the
border written out by hand), and the field's band path against its SuperLU path."""

from dataclasses import replace

import numpy as np
import pytest
from reference import species_numpy as ref

from cellsim.elements import IMPURITIES
from cellsim.fields.species import MetalPool, SpeciesField, SpeciesOptions, N_SPECIES
from cellsim.kernels import linalg as la
from cellsim.kernels import species as ks

pytestmark = pytest.mark.verification


def random_step_matrix(rng, shape, storage=1e-5):
    """Coefficients of a drift-diffusion step on a random cell subset, with strong mixing
    (coefficients up to 1e5 times the storage term, as in the campaign)."""
    index = np.full(shape, -1, dtype=np.int64)
    live = rng.random(shape) < 0.85
    index[live] = np.arange(live.sum())
    n = int(live.sum())
    coeffs = []
    for a in range(3):
        fs = list(shape)
        fs[a] += 1
        g = rng.random(fs) * 10.0 ** rng.uniform(-2, 0, fs)
        w = rng.standard_normal(fs) * g * 3.0
        lo, hi = np.empty(fs), np.empty(fs)
        ks.sg_coefficients(g, w, lo, hi)
        coeffs += [lo, hi]
    diag = storage * (1.0 + rng.random(n))
    return index, n, coeffs, diag


@pytest.mark.parametrize("shape,npool", [((6, 1, 8), 2), ((4, 3, 5), 2), ((7, 1, 4), 1), ((5, 2, 3), 0)])
def test_bordered_band_solve_matches_dense(shape, npool):
    rng = np.random.default_rng(sum(shape) + npool)
    index, n, coeffs, diag = random_step_matrix(rng, shape)
    bw = int(ks.band_width(index))
    # dense reference: the NumPy twin's cell block, then the pool rows/columns by hand
    M = np.zeros((n + npool, n + npool))
    M[:n, :n] = ref.transport_matrix(index, coeffs, diag)
    assert max(abs(i - j) for i, j in zip(*np.nonzero(M[:n, :n]))) == bw
    cell, pool, col, row = [], [], [], []
    for t in range(npool):
        faces = rng.choice(n, size=max(2, n // 5), replace=False)
        g, S = rng.random(faces.size), 10.0 ** rng.uniform(-8, 1, faces.size)
        M[faces, faces] += g
        M[faces, n + t] = -g * S
        M[n + t, faces] = -g
        M[n + t, n + t] = 1e-3 + np.sum(g * S)
        cell.append(faces), pool.append(np.full(faces.size, t)), col.append(-g * S), row.append(-g)
        diag[faces] += g
    assert np.all(M.sum(axis=0) > 0.0)  # column diagonal dominance: sums are the storage
    cat = (lambda v, dt: np.concatenate(v).astype(dt)) if npool else (lambda v, dt: np.zeros(0, dt))
    b = rng.standard_normal(n + npool) * 10.0 ** rng.uniform(-3, 3, n + npool)
    band, lu, x = np.empty((n, 2 * bw + 1)), np.empty((n, 2 * bw + 1)), np.empty(n + npool)
    ks.assemble_band(index, *coeffs, diag, bw, band)
    z, schur = np.empty((npool, n)), np.empty((npool, npool))
    border = (cat(cell, np.int64), cat(pool, np.int64), cat(col, float))
    assert ks.bordered_factor(band, bw, *border, M.diagonal()[n:].copy(), cat(row, float), lu, z, schur) == 0
    V, Zp, H, w = np.empty((5, n + npool)), np.empty((4, n + npool)), np.empty((5, 7)), np.empty((3, n + npool))
    it = ks.bordered_iterate(index, *coeffs, diag, *border, cat(row, float), M.diagonal()[n:].copy(), b, lu, bw,
                             z, schur, 64 * np.finfo(float).eps, 20, x, V, Zp, H, w)
    assert 1 <= it <= 2  # the fresh factorisation: one GMRES iteration is the direct solve
    expected = np.linalg.solve(M, b)
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    assert np.linalg.norm(M @ x - b) <= 1e-12 * np.linalg.norm(np.abs(M) @ np.abs(x))



@pytest.mark.parametrize("shape,npool", [((6, 1, 8), 2), ((4, 3, 5), 1), ((5, 2, 3), 0)])
@pytest.mark.parametrize("change", [0.0, 0.05, 0.5])
def test_refinement_with_stale_factor_matches_dense(shape, npool, change):
    """bordered_iterate (GMRES) with the factorisation of another matrix (storage,
    conductances and ratios perturbed by up to ``change``, relative) solves the current one: against a dense LAPACK
    solve, and to the float64 floor of its own true residual."""
    rng = np.random.default_rng(7 * sum(shape) + npool)
    index, n, coeffs, diag = random_step_matrix(rng, shape)
    bw = int(ks.band_width(index))
    cell = rng.choice(n, size=(npool, max(2, n // 5)), replace=False).reshape(-1) if npool else np.zeros(0, np.int64)
    pool = np.repeat(np.arange(npool), cell.size // max(npool, 1)).astype(np.int64)
    store = diag.copy()

    def system(store, g, S, pool_store):
        """Diagonal, border and pool diagonal as the field assembles them from the storage
        terms, the interface conductances g and the exchange ratios S."""
        return store + np.bincount(cell, g, n), -g * S, -g, pool_store + np.bincount(pool, g * S, npool)

    def dense(diag, col, row, pool_diag):
        M = np.zeros((n + npool, n + npool))
        M[:n, :n] = ref.transport_matrix(index, coeffs, diag)
        M[cell, n + pool] = col
        M[n + pool, cell] = row
        M[n + np.arange(npool), n + np.arange(npool)] = pool_diag
        return M

    g, S = rng.random(cell.size), 10.0 ** rng.uniform(-6, 1, cell.size)
    diag, col, row, pool_diag = system(store, g, S, np.full(npool, 1e-3))
    # the factorised matrix: another step's storage (dt), conductances and ratios (T, current)
    wobble = lambda v: v * (1.0 + change * rng.uniform(-1.0, 1.0, v.shape))  # noqa: E731
    old = system(wobble(store), wobble(g), wobble(S), wobble(np.full(npool, 1e-3)))
    band, lu = np.empty((n, 2 * bw + 1)), np.empty((n, 2 * bw + 1))
    z, schur = np.empty((npool, n)), np.empty((npool, npool))
    ks.assemble_band(index, *coeffs, old[0], bw, band)
    assert ks.bordered_factor(band, bw, cell, pool, old[1], old[3], old[2], lu, z, schur) == 0
    b = rng.standard_normal(n + npool) * 10.0 ** rng.uniform(-3, 3, n + npool)
    x, V, Zp = np.empty(n + npool), np.empty((13, n + npool)), np.empty((12, n + npool))
    H, w = np.empty((13, 15)), np.empty((3, n + npool))
    it = ks.bordered_iterate(index, *coeffs, diag, cell, pool, col, row, pool_diag, b, lu, bw, z, schur,
                             64 * np.finfo(float).eps, 60, x, V, Zp, H, w)
    M = dense(diag, col, row, pool_diag)
    expected = np.linalg.solve(M, b)
    assert it >= 1 + (change > 0)  # a fresh factor: direct + refinement; stale ones need more
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    assert np.linalg.norm(M @ x - b) <= 1e-11 * np.linalg.norm(np.abs(M) @ np.abs(x))

def layered(nr=6, n_salt=5):
    from cellsim.fields.grid import Grid

    zf = np.concatenate([np.linspace(0.0, 0.12, 4), 0.12 + np.linspace(0.0, 0.045, n_salt + 1)[1:],
                         0.165 + np.linspace(0.0, 0.06, 4)[1:]])
    mat = np.zeros((nr, 1, zf.size - 1), np.int32)
    mat[:, :, 3:3 + n_salt], mat[:, :, 3 + n_salt:] = 1, 2
    return Grid("rz", (np.linspace(0, 0.4, nr + 1), np.array([0.0, 2 * np.pi]), zf), mat,
                {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2})


def assert_same_step(field, a, s):
    """Step results a and s of two solver paths agree. Cells: the conservative update
    c_old - dt/V (net outflow) multiplies the solvers' round-off by the mixing coefficients
    (1e5 x storage at dt = 1 h): 1e-9 of the field; inventories 1e-12; fluxes 1e-9."""
    scale = np.abs(s.c).max(axis=(1, 2, 3))[:, None, None, None]
    assert np.all(np.abs(a.c - s.c) <= 1e-9 * scale)
    np.testing.assert_allclose(field.inventory(a.c), field.inventory(s.c), rtol=1e-12,
                               atol=1e-13 * field.inventory(s.c).max())
    for fa, fs in ((a.flux_alloy_to_salt, s.flux_alloy_to_salt), (a.flux_salt_to_cathode, s.flux_salt_to_cathode)):
        np.testing.assert_allclose(fa, fs, rtol=1e-9, atol=1e-14 * np.abs(fs).max())


@pytest.mark.parametrize("volumes", [(0.06, 0.03), (np.inf, 0.03), (np.inf, np.inf)])
@pytest.mark.parametrize("migration", [False, True])
def test_field_band_path_equals_superlu_path(volumes, migration):
    grid = layered()
    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034, migration=migration)
    band = SpeciesField(grid, opts)
    sparse = SpeciesField(grid, replace(opts, linear_solver="sparse"))
    assert band._bw == 5 and sparse._bw is None
    alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]), 9e4, volumes[0])
    cath = MetalPool(np.full(N_SPECIES, 0.5), 8.7e4, volumes[1])
    c = band.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    T = 1000.0 + 400.0 * grid.centres(2)[None, None, :]  # a vertical gradient [K]
    phi = np.linspace(0.0, 0.3, grid.n_cells).reshape(grid.shape) if migration else None
    for dt in (60.0, 3600.0, 86400.0):
        a = band.step(dt, c, alloy, cath, T, phi=phi)
        s = sparse.step(dt, c, alloy, cath, T, phi=phi)
        assert_same_step(band, a, s)
    assert IMPURITIES[5] == "Mg" and a.flux_alloy_to_salt[5] > 0.0


@pytest.mark.parametrize("volumes", [(0.06, 0.03), (np.inf, 0.03), (np.inf, np.inf)])
@pytest.mark.parametrize("geometry", ["rz", "xyz"])
def test_reused_factorisation_equals_superlu_path(volumes, geometry):
    """The band path keeps its factorisations across steps whose matrices differ (time step,
    temperature, pool contents): the refinement with the stale factors gives the same step as
    a fresh SuperLU solve of each one, with fewer factorisations than solves."""
    from cellsim.fields.grid import Grid

    grid = layered()
    if geometry == "xyz":
        g2 = layered()
        mat = np.repeat(g2.material, 4, axis=1)
        grid = Grid("xyz", (g2.faces[0], np.linspace(0.0, 0.3, 5), g2.faces[2]), mat, g2.regions)
    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034)
    chol = SpeciesField(grid, replace(opts, linear_solver="band"))
    sparse = SpeciesField(grid, replace(opts, linear_solver="sparse"))
    assert chol._bw is not None and sparse._bw is None
    c = chol.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    solves = 0
    for step, dt in enumerate((3600.0, 3600.0, 3300.0, 3600.0, 60.0, 86400.0)):
        alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]) * (1.0 - 0.02 * step), 9e4, volumes[0])
        cath = MetalPool(np.full(N_SPECIES, 0.5 + 0.1 * step), 8.7e4, volumes[1])
        T = 1000.0 + (400.0 + 10.0 * step) * grid.centres(2)[None, None, :]
        a = chol.step(dt, c, alloy, cath, T)
        s = sparse.step(dt, c, alloy, cath, T)
        solves += N_SPECIES
        assert_same_step(chol, a, s)
        c = s.c
    assert chol.n_factorisations < solves


@pytest.mark.parametrize("volumes", [(0.06, 0.03), (np.inf, 0.03), (np.inf, np.inf)])
@pytest.mark.parametrize("backend", ["lu", "cholesky", "multigrid", "jacobi"])
def test_species_backends_of_the_linear_algebra_layer_equal_superlu(volumes, backend):
    """The species step systems are StencilOperators bordered by the pools: the PCG of the
    linear-algebra layer with any of its preconditioners (the pools eliminated by their Schur
    complement) gives the step of the sparse LU reference, for a symmetric transport."""
    grid = layered()
    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034)
    pcg = SpeciesField(grid, replace(opts, linear_solver=backend))
    sparse = SpeciesField(grid, replace(opts, linear_solver="sparse"))
    assert pcg.solver.name == backend and sparse.solver.name == "sparse"
    alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]), 9e4, volumes[0])
    cath = MetalPool(np.full(N_SPECIES, 0.5), 8.7e4, volumes[1])
    c = pcg.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    T = 1000.0 + 400.0 * grid.centres(2)[None, None, :]
    for dt in (60.0, 3600.0, 86400.0):
        a = pcg.step(dt, c, alloy, cath, T)
        s = sparse.step(dt, c, alloy, cath, T)
        assert_same_step(pcg, a, s)
        c = s.c


def test_pcg_species_backend_refuses_migration():
    with pytest.raises(ValueError, match="symmetric"):
        SpeciesOptions(salt_concentration=2.6e4, migration=True, linear_solver="multigrid")


def test_remesh_keeping_the_cells_keeps_the_factorisations():
    """A new field whose electrolyte has the same cells, column by column, and the same
    interfaces (the layer moved up: a remesh) takes the old field's factorisations: its next
    step is the old field's next step with its kept factors, bit for bit, without factorising,
    and the step of a fresh SuperLU solve to the tolerance of assert_same_step's cells. A
    field whose layer changed (one cell more per column) or a narrow band (below
    adopt_factors' min_work, ADOPT_MIN_WORK by default) does not take them."""
    from cellsim.fields.grid import Grid

    def xyz(shift=0.0, n_salt=5):
        g = layered(n_salt=n_salt)
        faces = (g.faces[0], np.linspace(0.0, 0.3, 5), g.faces[2] + shift)
        return Grid("xyz", faces, np.repeat(g.material, 4, axis=1), g.regions)

    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034, linear_solver="band")
    old = SpeciesField(xyz(), opts)
    alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]), 9e4, 0.06)
    cath = MetalPool(np.full(N_SPECIES, 0.5), 8.7e4, 0.03)
    c = old.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    T = 1000.0 + 400.0 * old.grid.centres(2)[None, None, :]
    old.step(3600.0, c, alloy, cath, T)
    assert old.n_factorisations == N_SPECIES
    assert not SpeciesField(xyz(0.01), opts).adopt_factors(old)  # narrow band: refactorise
    assert not SpeciesField(xyz(n_salt=6), opts).adopt_factors(old, min_work=0.0)
    new = SpeciesField(xyz(0.01), opts)
    assert new.adopt_factors(old, min_work=0.0)
    T = T + 10.0  # the temperature moved in the step: the kept factors are stale
    a = new.step(3600.0, c, alloy, cath, T)
    assert new.n_factorisations == 0
    s = SpeciesField(xyz(0.01), replace(opts, linear_solver="sparse")).step(3600.0, c, alloy, cath, T)
    assert np.all(np.abs(a.c - s.c) <= 1e-9 * np.abs(s.c).max(axis=(1, 2, 3))[:, None, None, None])
    o = old.step(3600.0, c, alloy, cath, T)
    assert old.n_factorisations == N_SPECIES
    assert np.array_equal(a.c, o.c) and np.array_equal(a.flux_alloy_to_salt, o.flux_alloy_to_salt)


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_band_solve_of_rows_equals_one_row_at_a_time(rows):
    """band_lu_solve_rows (the border's columns in one pass over the factor; two rows, the
    two pools, as one chain of the factor's entries) gives band_lu_solve's numbers for each
    row, bit for bit."""
    rng = np.random.default_rng(3)
    index, n, coeffs, diag = random_step_matrix(rng, (6, 5, 4))
    bw = int(ks.band_width(index))
    band, lu = np.empty((n, 2 * bw + 1)), np.empty((n, 2 * bw + 1))
    ks.assemble_band(index, *coeffs, diag, bw, band)
    lu[:] = band
    la.band_lu(lu, bw)
    xs = rng.standard_normal((rows, n))
    one = xs.copy()
    for t in range(rows):
        la.band_lu_solve(lu, bw, one[t])
    la.band_lu_solve_rows(lu, bw, xs)
    assert np.array_equal(xs, one)


@pytest.mark.parametrize("solver", ["band", "sparse", "multigrid"])
def test_a_dropped_field_is_freed_without_the_cycle_collector(solver):
    """A species field and its backend form no reference cycle (the backend holds a weak proxy
    of its field): the last reference dropped, the field is freed at once, as a remesh drops
    the previous field, with the cyclic garbage collector off."""
    import gc
    import weakref

    field = SpeciesField(layered(), SpeciesOptions(salt_concentration=2700.0 / 0.1034, linear_solver=solver))
    c = field.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]), 9e4, 0.06)
    cath = MetalPool(np.full(N_SPECIES, 0.5), 8.7e4, 0.03)
    field.step(3600.0, c, alloy, cath, 1000.0 + 400.0 * field.grid.centres(2)[None, None, :])
    ref = weakref.ref(field)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del field
        assert ref() is None
    finally:
        if enabled:
            gc.enable()


def _band_solve_one_row_at_a_time(lu, bw, x):
    """L U y = x by rows in order, each row's terms in ascending order (the definition)."""
    n = lu.shape[0]
    for i in range(n):
        s = x[i]
        for k in range(max(0, i - bw), i):
            s -= lu[i, bw + k - i] * x[k]
        x[i] = s
    for i in range(n - 1, -1, -1):
        s = x[i]
        for j in range(i + 1, min(n, i + bw + 1)):
            s -= lu[i, bw + j - i] * x[j]
        x[i] = s / lu[i, bw]


@pytest.mark.parametrize("n, bw", [(1, 0), (6, 0), (2, 1), (9, 1), (10, 3), (11, 4), (12, 11), (40, 7)])
def test_band_solve_two_rows_at_a_time_is_the_row_by_row_solve(n, bw):
    """band_lu_solve's forward sweep takes two rows at a time (row i + 1's earlier terms
    beside row i): every row's terms in the one-row order, so the numbers are those of the
    row-by-row definition bit for bit, for even and odd sizes and any band width."""
    rng = np.random.default_rng(n * 100 + bw)
    lu = rng.standard_normal((n, 2 * bw + 1))
    lu[:, bw] = 3.0 + rng.random(n)
    x = rng.standard_normal(n)
    want, got = x.copy(), x.copy()
    _band_solve_one_row_at_a_time(lu, bw, want)
    la.band_lu_solve(lu, bw, got)
    assert np.array_equal(got, want)


def _band_lu_definition(lu, bw):
    """Band LU without pivoting, entry by entry in the order of the elimination."""
    n = lu.shape[0]
    for k in range(n):
        top = min(n, k + bw + 1)
        for i in range(k + 1, top):
            l_ik = lu[i, bw + k - i] / lu[k, bw]
            lu[i, bw + k - i] = l_ik
            if l_ik != 0.0:
                for j in range(k + 1, top):
                    lu[i, bw + j - i] -= l_ik * lu[k, bw + j - k]


@pytest.mark.parametrize("n, bw", [(1, 0), (5, 0), (7, 1), (12, 3), (30, 8), (9, 8)])
def test_band_lu_is_the_elimination_entry_by_entry(n, bw):
    """band_lu (the pivot row buffered so the row updates vectorise) gives the numbers of the
    elimination written entry by entry, bit for bit."""
    rng = np.random.default_rng(7 * n + bw)
    a = rng.standard_normal((n, 2 * bw + 1))
    a[:, bw] = 2.0 * (2 * bw + 1) + rng.random(n)
    want, got = a.copy(), a.copy()
    _band_lu_definition(want, bw)
    la.band_lu(got, bw)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("volumes", [(0.06, 0.03), (np.inf, 0.03)])
def test_sync_point_keeps_wide_band_factors_and_a_restored_field_continues_bit_for_bit(volumes, monkeypatch,
                                                                                       tmp_path):
    """A sync point (reset_caches) keeps the band factors of a wide band (species_linear.
    KEEP_MIN_WORK, lowered here for a small grid): the next step factorises nothing. Their
    checkpoint (solver_state) restored on a new field gives the same LU bit for bit, and the
    restored field's next step is the kept field's next step bit for bit (the uninterrupted
    run), while a field with fresh factors gives another rounding of the same solution (the
    SuperLU step within assert_same_step's tolerance). A narrow band drops them, as before."""
    import h5py

    from cellsim.fields import species_linear
    from cellsim.fields.grid import Grid
    from cellsim.plaindata import dump, load

    g2 = layered()
    grid = Grid("xyz", (g2.faces[0], np.linspace(0.0, 0.3, 5), g2.faces[2]),
                np.repeat(g2.material, 4, axis=1), g2.regions)
    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034, linear_solver="band")

    def inputs(step):
        alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]) * (1.0 - 0.02 * step), 9e4, volumes[0])
        cath = MetalPool(np.full(N_SPECIES, 0.5 + 0.1 * step), 8.7e4, volumes[1])
        return alloy, cath, 1000.0 + (400.0 + 10.0 * step) * grid.centres(2)[None, None, :]

    narrow = SpeciesField(grid, opts)
    c = narrow.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    narrow.step(3600.0, c, *inputs(0)[:2], inputs(0)[2])
    narrow.reset_caches()
    assert narrow.solver_state() is None  # below KEEP_MIN_WORK: dropped at the sync point

    monkeypatch.setattr(species_linear.BandSolver, "keep_min_work", 0.0)
    kept = SpeciesField(grid, opts)
    for step in range(3):  # the factors of step 0, stale afterwards
        alloy, cath, T = inputs(step)
        c = kept.step(3600.0, c, alloy, cath, T).c
    assert kept.n_factorisations == N_SPECIES
    kept.reset_caches()  # the sync point
    data = kept.solver_state()
    assert len(data["matrices"]) == N_SPECIES
    with h5py.File(tmp_path / "s.h5", "w") as h:  # through the checkpoint format, bits kept
        dump(h, "solver", data)
    with h5py.File(tmp_path / "s.h5", "r") as h:
        data = load(h, "solver")
    restored = SpeciesField(grid, opts)
    restored.restore_solver(data)
    assert restored.n_factorisations == N_SPECIES  # refactorised from the stored matrices
    assert np.array_equal(restored.solver._factors["lu"], kept.solver._factors["lu"])
    fresh = SpeciesField(grid, opts)
    alloy, cath, T = inputs(3)
    a = kept.step(3600.0, c, alloy, cath, T)
    assert kept.n_factorisations == N_SPECIES  # kept across the sync point
    b = restored.step(3600.0, c, alloy, cath, T)
    assert restored.n_factorisations == N_SPECIES
    for name in ("c", "flux_alloy_to_salt", "flux_salt_to_cathode"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    s = SpeciesField(grid, replace(opts, linear_solver="sparse")).step(3600.0, c, alloy, cath, T)
    assert_same_step(kept, a, s)
    f = fresh.step(3600.0, c, alloy, cath, T)
    assert_same_step(fresh, f, s)
    assert not np.array_equal(f.c, a.c)  # so the kept factors decide the rounding: restored, not renewed
    other = SpeciesField(layered(), opts)  # another band: refused by name
    with pytest.raises(ValueError, match="species factors of a checkpoint"):
        other.restore_solver(data)


@pytest.mark.parametrize("n, bw", [(1, 0), (6, 0), (2, 1), (9, 1), (10, 3), (11, 4), (12, 11), (40, 7)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_band_solve_is_the_solve_with_the_rounded_factor(n, bw, dtype):
    """band_solve_mixed / band_solve_rows_mixed (the wide band's preconditioner: a band LU kept
    in float32, float64 sums in four chains) solve L U y = x with the L and U of the factor
    as stored, against LAPACK on the dense L and U written out from the band; every row of
    the several-right-hand-side pass is the one-vector solve bit for bit."""
    rng = np.random.default_rng(13 * n + bw)
    band = rng.standard_normal((n, 2 * bw + 1))
    band[:, bw] = 2.0 * (2 * bw + 1) + rng.random(n)
    lu = np.empty(band.shape, dtype=dtype)
    assert ks.band_factor_rounded(band.copy(), bw, lu) == 0
    want64 = band.copy()
    la.band_lu(want64, bw)
    assert np.array_equal(lu, want64.astype(dtype))  # band_lu's factor, rounded
    L, U = np.eye(n), np.zeros((n, n))
    f = lu.astype(np.float64)
    for i in range(n):
        for j in range(max(0, i - bw), min(n, i + bw + 1)):
            if j < i:
                L[i, j] = f[i, bw + j - i]
            else:
                U[i, j] = f[i, bw + j - i]
    xs = rng.standard_normal((3, n))
    want = np.linalg.solve(L @ U, xs.T).T
    one = xs.copy()
    for row in one:
        ks.band_solve_mixed(lu, bw, row)
    np.testing.assert_allclose(one, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    rows = xs.copy()
    ks.band_solve_rows_mixed(lu, bw, rows)
    assert np.array_equal(rows, one)


def test_a_non_positive_pivot_is_reported():
    band = np.array([[0.0, 1.0, 2.0], [1.0, -3.0, 0.0]])  # bw = 1: pivots 1, then -3 - 1 * 2 = -5
    assert ks.band_factor_rounded(band, 1, np.empty((2, 3), dtype=np.float32)) == 2


@pytest.mark.parametrize("shape,npool", [((6, 1, 8), 2), ((4, 3, 5), 1), ((5, 2, 3), 0)])
@pytest.mark.parametrize("change", [0.0, 0.05])
@pytest.mark.parametrize("start", ["zero", "near", "exact"])
def test_mixed_bordered_solve_from_a_guess_matches_dense(shape, npool, change, start):
    """bordered_border_mixed + bordered_iterate_mixed (the wide band's path: a float32 factor,
    of this matrix or of a perturbed one, GMRES from an initial guess) reach the float64 floor
    of the float64 step matrix: the dense LAPACK solution of the same bordered matrix written
    out by hand; from the exact solution without iterating; b = 0 gives x = 0."""
    rng = np.random.default_rng(17 * sum(shape) + npool)
    index, n, coeffs, diag = random_step_matrix(rng, shape)
    bw = int(ks.band_width(index))
    cell = rng.choice(n, size=(npool, max(2, n // 5)), replace=False).reshape(-1) if npool else np.zeros(0, np.int64)
    pool = np.repeat(np.arange(npool), cell.size // max(npool, 1)).astype(np.int64)
    g, S = rng.random(cell.size), 10.0 ** rng.uniform(-6, 1, cell.size)
    diag = diag + np.bincount(cell, g, n)
    col, row = -g * S, -g
    pool_diag = 1e-3 + np.bincount(pool, g * S, npool)
    M = np.zeros((n + npool, n + npool))
    M[:n, :n] = ref.transport_matrix(index, coeffs, diag)
    M[cell, n + pool] = col
    M[n + pool, cell] = row
    M[np.arange(n, n + npool), np.arange(n, n + npool)] = pool_diag
    band, lu = np.empty((n, 2 * bw + 1)), np.empty((n, 2 * bw + 1), dtype=np.float32)
    ks.assemble_band(index, *coeffs, diag * (1.0 + change * rng.uniform(-1.0, 1.0, n)), bw, band)
    assert ks.band_factor_rounded(band, bw, lu) == 0
    eps = 64 * np.finfo(float).eps
    for b in (rng.standard_normal(n + npool) * 10.0 ** rng.uniform(-3, 3, n + npool), np.zeros(n + npool)):
        expected = np.linalg.solve(M, b)
        x0 = {"zero": np.zeros(n + npool), "exact": expected.copy(),
              "near": expected * (1.0 + 0.01 * rng.standard_normal(n + npool))}[start]
        zf, schur = np.empty((npool + 1, n)), np.empty((npool, npool))
        x, V, Zp = x0.copy(), np.empty((13, n + npool)), np.empty((12, n + npool))
        H, w, ra = np.empty((13, 15)), np.empty((3, n + npool)), np.empty((2, n + npool))
        ks.bordered_border_mixed(index, *coeffs, diag, cell, pool, col, row, pool_diag, b, x0, lu, bw, zf, schur, *ra)
        it = ks.bordered_iterate_mixed(index, *coeffs, diag, cell, pool, col, row, pool_diag, b, lu, bw, zf, schur,
                                       eps, 60, x, V, Zp, H, w)
        if not b.any():
            assert it == 0 and not x.any()
            continue
        assert 0 <= it <= (1 if start == "exact" else 60)  # -1: not converged
        np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
        assert np.linalg.norm(M @ x - b) <= 1e-12 * np.linalg.norm(np.abs(M) @ np.abs(x))
