"""Manufactured steady solution of drift-diffusion with the exchange law at both interfaces
(resolved salt film, reservoirs) on smoothly stretched r-z and 3D grids: measured order.

c = p(z) + F(lateral) sin^2(pi z / L): the lateral part and its normal derivative vanish on
the interfaces, so the Robin exchange condition c -/+ (S D / k_metal) dc/dz = S C_metal holds
with one metal concentration per interface; phi has zero normal derivative on every boundary,
so no drift crosses them (the scheme has none there). Sources by sympy, cell-averaged by 3-point
Gauss quadrature (r-weighted in r-z). The problem lives in cellsim.validation._mms_species
(shared with the verification summary).
"""

import numpy as np
import pytest

from cellsim.validation._mms_species import species_errors as solve

pytestmark = pytest.mark.verification


@pytest.mark.parametrize("geometry,sizes", [("rz", (16, 32, 64)), ("xyz", (8, 16, 32))])
def test_manufactured_order(geometry, sizes):
    """Measured (docs/species.md): r-z L2 1.98, 1.99 / max 1.98, 1.99; 3D L2 1.91, 1.97 /
    max 1.80, 1.98. The finest pair is asserted >= 1.95 in both norms."""
    errs = np.array([solve(geometry, n) for n in sizes])
    orders = np.log2(errs[:-1] / errs[1:])
    assert np.all(orders[-1] >= 1.95), orders
    assert np.all(orders[:, 0] >= 1.9), orders
