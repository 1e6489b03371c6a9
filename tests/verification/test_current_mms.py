"""Manufactured solutions with the electrode potential jump (Butler-Volmer, nonlinear).

Two regions meet on a horizontal face plane z = z_i. With j(x) [A/m2] the current
density along +z at the interface and s = +1 when the metal lies below (anode, anodic
current) or -1 when it lies above (cathode), the exact potential is

    lower: u1 = -j (z - z_i) / k1 + B1 (z - z_i)^2 c(x)
    upper: u2 = -j (z - z_i) / k2 - s eta(s j) + B2 (z - z_i)^2 c(x)

so the normal current is continuous and the jump u1 - u2 = s eta(s j) is the overpotential
of the Butler-Volmer law with the local current density. Dirichlet data elsewhere. The
problem lives in cellsim.validation._mms (shared with the verification summary). Orders
are measured as in test_fv_mms (L2 >= 1.95, max >= 1.85 between the finest grids).
"""

import numpy as np
import pytest

from cellsim.validation._mms import observed_orders
from cellsim.validation._mms import solve_jump as solve

pytestmark = pytest.mark.verification


def check(results, l2_finest, max_finest, min_l2_orders, min_max_order, ratio=2.0):
    """Orders between successive grids (refined by ``ratio``): L2 >= min_l2_orders (one bound
    per pair), the finest max-norm order >= min_max_order, finest errors within 1.3x of the
    recorded values."""
    e_max, e_l2, its = np.array(results).T
    o_max = observed_orders(e_max) / np.log2(ratio)
    o_l2 = observed_orders(e_l2) / np.log2(ratio)
    assert np.all(o_l2 >= np.array(min_l2_orders)), (e_l2, o_l2)
    assert o_max[-1] >= min_max_order, (e_max, o_max)
    assert e_l2[-1] <= 1.3 * l2_finest and e_max[-1] <= 1.3 * max_finest, (e_l2, e_max)
    assert np.all(its <= 6), its  # Newton converges quadratically


def test_rz_anode_jump_order():
    # measured L2 orders 1.944 (16-32), 1.981, 1.994; max norm 1.74, 1.84, 1.89. The 16-cell
    # grid is pre-asymptotic, so the asserted grids are 32-64-128 (all pairs >= 1.95).
    check([solve("rz", n, +1) for n in (32, 64, 128)], 4.43e-6, 2.26e-5, (1.95, 1.95), 1.85)


def test_rz_anode_jump_order_graded_mesh():
    # The pot builder's graded r-z mesh family (cellsim.validation._mms.graded_faces, the
    # interface on a face, every cell split in two per refinement), 12-24-48-96: measured max
    # norm 1.90, 1.96, 1.98; L2 1.91, 1.97, 1.99.
    check([solve("rz", n, +1, mesh="graded") for n in (24, 48, 96)], 5.357e-6, 2.1646e-5,
          (1.95, 1.95), 1.9)


def test_xyz_cathode_jump_order():
    # Grids 24-36-54 (ratio 1.5): measured L2 orders 1.959, 1.978; max norm 1.77, 1.82
    # (jump and Dirichlet closures are locally first order, so the max-norm order approaches 2
    # from below). The 12-24 pair (1.909) is pre-asymptotic.
    check([solve("xyz", n, -1) for n in (24, 36, 54)], 1.7492e-05, 1.2760e-4, (1.95, 1.95), 1.75,
          ratio=1.5)
