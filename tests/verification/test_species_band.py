"""The banded, bordered direct solve of the species step (kernels/species.bordered_solve)
against a dense LAPACK solve of the same matrix assembled independently (COO kernel + the
border written out by hand), and the field's band path against its SuperLU path."""

import numpy as np
import pytest
from reference import species_numpy as ref

from cellsim.elements import IMPURITIES
from cellsim.fields import species as spm
from cellsim.fields.species import MetalPool, SpeciesField, SpeciesOptions, N_SPECIES
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
    ks.bordered_solve(band, bw, cat(cell, np.int64), cat(pool, np.int64), cat(col, float),
                      cat(row, float), M.diagonal()[n:].copy(), b, lu, x)
    expected = np.linalg.solve(M, b)
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    assert np.linalg.norm(M @ x - b) <= 1e-12 * np.linalg.norm(np.abs(M) @ np.abs(x))


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
def test_field_band_path_equals_superlu_path(monkeypatch, volumes, migration):
    grid = layered()
    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034, migration=migration)
    band = SpeciesField(grid, opts)
    monkeypatch.setattr(spm, "BAND_MAX_WORK", 0)
    monkeypatch.setattr(spm, "WIDE_CHOLESKY", False)
    sparse = SpeciesField(grid, opts)
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
def test_wide_grid_cholesky_path_equals_superlu_path(monkeypatch, volumes, geometry):
    """Grids too wide for the Numba band LU (3D layers) take LAPACK's band Cholesky of the
    symmetric cell block (no drift) with the pools bordered: the same step as SuperLU."""
    from cellsim.fields.grid import Grid

    grid = layered()
    if geometry == "xyz":
        g2 = layered()
        mat = np.repeat(g2.material, 4, axis=1)
        grid = Grid("xyz", (g2.faces[0], np.linspace(0.0, 0.3, 5), g2.faces[2]), mat, g2.regions)
    opts = SpeciesOptions(salt_concentration=2700.0 / 0.1034)
    monkeypatch.setattr(spm, "BAND_MAX_WORK", 0)
    chol = SpeciesField(grid, opts)
    monkeypatch.setattr(spm, "WIDE_CHOLESKY", False)
    sparse = SpeciesField(grid, opts)
    alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]), 9e4, volumes[0])
    cath = MetalPool(np.full(N_SPECIES, 0.5), 8.7e4, volumes[1])
    c = chol.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    T = 1000.0 + 400.0 * grid.centres(2)[None, None, :]
    for dt in (60.0, 3600.0, 86400.0):
        monkeypatch.setattr(spm, "WIDE_CHOLESKY", True)
        a = chol.step(dt, c, alloy, cath, T)
        monkeypatch.setattr(spm, "WIDE_CHOLESKY", False)
        s = sparse.step(dt, c, alloy, cath, T)
        assert_same_step(chol, a, s)
