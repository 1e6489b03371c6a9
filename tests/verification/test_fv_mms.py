"""Manufactured solutions for the FV diffusion operator (no interface jump).

Smooth variable coefficient on smoothly stretched grids, Dirichlet data on the outer
boundaries (the r = 0 axis is natural), errors at cell centres. The Dirichlet closure
(u_b - u_P)/(h/2) is locally first order, so the largest error sits in boundary cells and
its order approaches 2 from below (measured 1.90-1.99); the volume-weighted L2 error is
second order. Asserted: L2 order >= 1.95 between successive grids of the finest three,
max-norm order >= 1.85, and finest errors within 1.3x of their recorded values.

Graded r-z mesh (the pot builder's family, cellsim.validation._mms.graded_faces: three
layers of geometrically graded cells, every cell split in two per refinement, so the width
ratio of neighbours does not tend to 1): 12-24-48-96 measured L2 orders 1.95, 1.98, 1.99,
max norm 1.94, 1.98, 1.97 (the cell-centred scheme is supraconvergent on such meshes).
"""

import numpy as np
import pytest

from cellsim.validation._mms import k_rz, k_xyz, observed_orders, solve_mms, u_rz, u_xyz

pytestmark = pytest.mark.verification


def check(results, l2_finest, max_finest):
    e_max, e_l2 = np.array(results).T
    o_max, o_l2 = observed_orders(e_max), observed_orders(e_l2)
    assert np.all(o_l2[-2:] >= 1.95), (e_l2, o_l2)
    assert np.all(o_max[-2:] >= 1.85), (e_max, o_max)
    assert e_l2[-1] <= 1.3 * l2_finest and e_max[-1] <= 1.3 * max_finest, (e_l2, e_max)


@pytest.mark.parametrize("kind", ["direct", "multigrid"])
def test_rz_interior_order(kind):
    check([solve_mms("rz", n, u_rz, k_rz, kind) for n in (8, 16, 32, 64)], 1.20e-5, 3.36e-5)


def test_rz_graded_mesh_order():
    check([solve_mms("rz", n, u_rz, k_rz, "direct", mesh="graded") for n in (12, 24, 48, 96)],
          1.1555e-5, 2.5995e-5)


def test_xyz_interior_order():
    check([solve_mms("xyz", n, u_xyz, k_xyz, "multigrid") for n in (16, 32, 64)], 3.61e-5, 1.172e-4)
