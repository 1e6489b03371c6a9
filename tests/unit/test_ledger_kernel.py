"""kernels/ledger.step_tags: one step of the origin tags equals the ledger's array operations
(cellsim.purity.ledger: add, transfer, rescale in Cell._purity_transfers' order), bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from cellsim.kernels.ledger import step_tags
from cellsim.purity import ledger


def _reference(tags_e, tags_c, exchange, codissolved, makeup, lining, back_mass, to_cathode_mass,
               to_alloy_mass, entrained, collectors, inv_e, inv_c):
    """The operations Cell._purity_transfers did with ledger.* before the kernel."""
    tags, cath = tags_e.copy(), tags_c.copy()
    ledger.add(tags, "exchange", exchange)
    for tag, mass in (("codissolution", codissolved), ("makeup_salts", makeup), ("lining", lining)):
        ledger.add(tags, tag, mass)
    back = ledger.transfer(cath, back_mass)
    tags += back
    cath -= back
    to_cathode = ledger.transfer(tags, to_cathode_mass)
    to_alloy = ledger.transfer(tags, to_alloy_mass)
    tags -= to_cathode + to_alloy
    cath += to_cathode
    ledger.add(cath, "entrainment", entrained)
    ledger.add(cath, "collectors", collectors)
    return ledger.rescale(tags, inv_e, "exchange"), ledger.rescale(cath, inv_c, "exchange")


@pytest.mark.parametrize("seed", range(8))
def test_step_tags_equals_the_ledger_operations(seed):
    rng = np.random.default_rng(seed)
    n, t = 7, len(ledger.TAGS)
    tags_e = rng.uniform(0.0, 1e-2, (t, n)) * (rng.uniform(size=(t, n)) < 0.7)
    tags_c = rng.uniform(0.0, 1e-2, (t, n)) * (rng.uniform(size=(t, n)) < 0.7)
    tags_e[:, 0] = 0.0  # an untagged electrolyte column: shares zero, rescale tags 'exchange'
    tags_c[:, 1] = 0.0
    N_a, N_c = rng.normal(0.0, 1e-3, n), rng.normal(0.0, 1e-3, n)  # both signs
    args = (N_a, rng.uniform(0, 1e-4, n), rng.uniform(-1e-4, 1e-4, n), rng.uniform(0, 1e-4, n),
            -N_c, N_c, -N_a, rng.uniform(0, 1e-4, n), rng.uniform(0, 1e-4, n),
            rng.uniform(-1e-6, 1e-2, n), rng.uniform(-1e-6, 1e-2, n))
    before_e, before_c = tags_e.copy(), tags_c.copy()
    got = step_tags(tags_e, tags_c, *args)
    want = _reference(tags_e, tags_c, *args)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert np.array_equal(g, w)  # the same floating-point operations: identical bits
    assert np.array_equal(tags_e, before_e) and np.array_equal(tags_c, before_c)  # inputs kept


def test_step_tags_conserves_and_attributes():
    """Independent check: the tags of each pool sum to its (non-negative) inventory, and a
    cathode fed only by collectors carries only the 'collectors' and 'initial' tags."""
    n, t = 3, len(ledger.TAGS)
    tags_e = np.zeros((t, n))
    tags_c = np.zeros((t, n))
    tags_c[ledger.TAGS.index("initial")] = 1.0
    z = np.zeros(n)
    collectors = np.array([0.5, 0.0, 0.25])
    inv_e, inv_c = np.array([0.0, 2.0, -1e-18]), 1.0 + collectors
    e, c = step_tags(tags_e, tags_c, z, z, z, z, z, z, z, z, collectors, inv_e, inv_c)
    assert np.allclose(e.sum(axis=0), np.maximum(inv_e, 0.0), rtol=1e-15, atol=0.0)
    assert e[ledger.TAGS.index("exchange"), 1] == 2.0  # untagged positive inventory -> 'exchange'
    assert np.allclose(c.sum(axis=0), inv_c, rtol=1e-15)
    i_col, i_init = ledger.TAGS.index("collectors"), ledger.TAGS.index("initial")
    assert np.allclose(c[i_col], collectors, rtol=1e-15)
    assert np.allclose(c[i_init], 1.0, rtol=1e-15)
    others = [k for k in range(t) if k not in (i_col, i_init)]
    assert not c[others].any()


@pytest.mark.parametrize("seed", range(4))
def test_include_salt_equals_transfer_and_add(seed):
    """kernels/ledger.include_salt: ledger.transfer out of the electrolyte's tags and
    ledger.add to the cathode's 'salt_inclusions' row, bit for bit (an untagged column and a
    negative mass included)."""
    from cellsim.kernels.ledger import include_salt

    rng = np.random.default_rng(100 + seed)
    n, t = 7, len(ledger.TAGS)
    tags_e = rng.uniform(0.0, 1e-2, (t, n)) * (rng.uniform(size=(t, n)) < 0.7)
    tags_e[:, 2] = 0.0
    tags_c = rng.uniform(0.0, 1e-2, (t, n))
    carried = rng.uniform(0.0, 1e-4, n)
    carried[3] = -1e-6
    ref_e = tags_e - ledger.transfer(tags_e, carried)
    ref_c = tags_c.copy()
    ledger.add(ref_c, "salt_inclusions", carried)
    got_e = include_salt(tags_e, tags_c, carried)
    assert np.array_equal(got_e, ref_e) and np.array_equal(tags_c, ref_c)
    assert ledger.TAGS.index("salt_inclusions") == 7  # the kernel's row
