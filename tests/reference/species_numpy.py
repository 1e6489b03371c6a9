"""NumPy twins of the kernels in cellsim.kernels.species (whole-array, no loops over cells).

Same argument conventions as the kernels; results are returned. The transport matrix is
built dense from face fluxes, independently of the kernel's COO bookkeeping.
"""

import numpy as np


def bernoulli(x):
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-4
    with np.errstate(divide="ignore", invalid="ignore"):
        big = x / np.expm1(np.where(small, 1.0, x))
    return np.where(small, 1.0 - x / 2 + x**2 / 12, big)


def sg_coefficients(g, w):
    ok = g > 0.0
    pe = np.where(ok, w / np.where(ok, g, 1.0), 0.0)
    return np.where(ok, g * bernoulli(-pe), 0.0), np.where(ok, g * bernoulli(pe), 0.0)


def _pairs(index, axis):
    """(lo, hi) unknown numbers of the interior faces of ``axis`` joining two unknowns, and
    the index of those faces into the face array."""
    n = index.shape[axis]
    lo = np.take(index, np.arange(n - 1), axis=axis)
    hi = np.take(index, np.arange(1, n), axis=axis)
    sel = (lo >= 0) & (hi >= 0)
    face = list(np.nonzero(sel))
    face[axis] = face[axis] + 1
    return lo[sel], hi[sel], tuple(face)


def transport_matrix(index, coeffs, diag):
    """Dense matrix: diag + net outflow operator; coeffs = (lo_x, hi_x, lo_y, hi_y, lo_z, hi_z)."""
    n = int(index.max()) + 1
    A = np.diag(np.asarray(diag, dtype=float))
    for a in range(3):
        lo, hi, face = _pairs(index, a)
        alo, ahi = coeffs[2 * a][face], coeffs[2 * a + 1][face]
        # flux lo -> hi = alo c_lo - ahi c_hi: outflow of lo, inflow of hi
        np.add.at(A, (lo, lo), alo)
        np.add.at(A, (lo, hi), -ahi)
        np.add.at(A, (hi, lo), -alo)
        np.add.at(A, (hi, hi), ahi)
    assert A.shape == (n, n)
    return A


def net_outflow(index, coeffs, c):
    return transport_matrix(index, coeffs, np.zeros(int(index.max()) + 1)) @ c


def interface_conductance(area, half_width, diffusivity, film_resistance, S, k_metal):
    return area / (half_width / diffusivity + film_resistance + S / k_metal)


def face_flux_sum(g, S, c_metal, cell, c):
    per_face = g * (S * c_metal - c[cell])
    return per_face.sum(), per_face


def exchange_ratios(field, which, pool, T, current=None, alf3_activity=None):
    """SpeciesField.exchange_ratios as NumPy arrays over the faces (n_faces, species): the
    field's former implementation, which kernels/exchange.face_exchange_ratios replaced."""
    from cellsim.fields.species import N_SPECIES
    from cellsim.lumped import chemistry
    from cellsim.units import FARADAY

    o = field.options
    a_alx3 = o.alf3_activity if alf3_activity is None else alf3_activity
    itf = field.anode if which == "anode" else field.cathode
    k_metal = o.k_metal_anode if which == "anode" else o.k_metal_cathode
    T_face = np.broadcast_to(np.asarray(T, dtype=float), field.grid.shape).ravel()[itf.salt_flat]
    enrich = np.ones(itf.cell.size)
    if current is not None and o.surface_depletion:
        F = np.empty(itf.cell.size)
        for a in np.unique(itf.axis):
            on = itf.axis == a
            F[on] = current.face_current[a].ravel()[itf.face_flat[on]]
        j_out = itf.sign * F / itf.area
        enrich = np.exp(j_out / (3.0 * FARADAY * k_metal * pool.c_total))
    x_al_surface = 1.0 - (1.0 - pool.x_al) * enrich
    if np.any(x_al_surface <= 0.0):
        raise ValueError(f"local current density at the {which} exceeds the Al mass-transfer "
                         "limit of the metal film (surface Al mole fraction <= 0)")
    a_al = pool.activity_al * x_al_surface / pool.x_al if pool.x_al > 0.0 else x_al_surface
    gamma = np.ones(N_SPECIES) if pool.gamma is None else np.asarray(pool.gamma, dtype=float)
    ratio = chemistry.interface_ratio(T_face[:, None], o.family, o.potential_offsets,
                                      a_alx3, a_al[:, None], gamma, o.equilibria)
    return ratio * enrich[:, None] * o.salt_concentration / pool.c_total


def interface(field, salt, metal):
    """SpeciesField._interface's arrays (a dict) by NumPy selections per axis and side: the
    field's former implementation, which kernels/species.interface_faces replaced."""
    g, mat = field.grid, field.grid.material
    parts = {k: [] for k in ("cell", "salt_flat", "axis", "face_flat", "sign", "area", "half")}
    for a in range(3):
        n = g.shape[a]
        if n < 2:
            continue
        lo, hi = np.take(mat, np.arange(n - 1), axis=a), np.take(mat, np.arange(1, n), axis=a)
        area_a = g.face_areas(a)
        for sign, sel in ((1.0, (lo == metal) & (hi == salt)), (-1.0, (lo == salt) & (hi == metal))):
            idx = np.nonzero(sel)
            face = list(idx)
            face[a] = idx[a] + 1
            salt_cell = list(face) if sign > 0 else list(idx)
            flat = np.ravel_multi_index(salt_cell, g.shape)
            parts["cell"].append(field.index.ravel()[flat])
            parts["salt_flat"].append(flat)
            parts["axis"].append(np.full(flat.size, a))
            parts["face_flat"].append(np.ravel_multi_index(face, area_a.shape))
            parts["sign"].append(np.full(flat.size, sign))
            parts["area"].append(area_a[tuple(face)])
            parts["half"].append(0.5 * g.widths(a)[salt_cell[a]])
    return {k: np.concatenate(v) for k, v in parts.items()}
