"""Origin tags of one step of the cell's purity transfers (cellsim.purity.ledger) in one call.

``step_tags`` does, column by column, the operations ``cellsim.cell.Cell._purity_transfers``
does with ``ledger.add``, ``ledger.transfer`` and ``ledger.rescale`` on the (tags x elements)
arrays, in the same order and the same floating-point operations (a column's total is the
sum of its rows from the first down, as NumPy's ``sum(axis=0)``; shares are tag / total, zero
where the total is not positive), so the tags are the same bit for bit at a fraction of the
Python cost of some twenty small array operations a step.

Row indices follow ``cellsim.purity.ledger.TAGS``: 1 exchange, 2 co-dissolution,
3 entrainment, 4 make-up salts, 5 lining, 6 collectors.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _column_total(a, j):
    total = a[0, j]
    for i in range(1, a.shape[0]):
        total += a[i, j]
    return total


@njit(cache=True, nogil=True)
def step_tags(tags_e, tags_c, exchange, codissolved, makeup, lining, cathode_back, to_cathode,
              to_alloy, entrained, collectors, inventory_e, inventory_c):
    """New (electrolyte, cathode) tags [kg] from the old ones (left unchanged): the inputs
    ``exchange``, ``codissolved``, ``makeup``, ``lining`` added to the electrolyte's tags,
    ``cathode_back`` kg moved from the cathode metal to the electrolyte, then ``to_cathode``
    and ``to_alloy`` kg leaving the electrolyte (both at its shares after the move back),
    ``entrained`` and ``collectors`` added to the cathode's tags, each pool rescaled to its
    inventory (an untagged positive inventory tagged 'exchange'). Masses are kg per element;
    negative ones count as zero, as in ledger.add and ledger.transfer."""
    n_tags, n = tags_e.shape
    e = tags_e.copy()
    c = tags_c.copy()
    out_e = np.zeros_like(e)
    out_c = np.zeros_like(c)
    share = np.empty(n_tags)
    for j in range(n):
        e[1, j] += max(exchange[j], 0.0)
        e[2, j] += max(codissolved[j], 0.0)
        e[4, j] += max(makeup[j], 0.0)
        e[5, j] += max(lining[j], 0.0)
        # cathode -> electrolyte at the cathode's shares
        total = _column_total(c, j)
        m = max(cathode_back[j], 0.0)
        for i in range(n_tags):
            back = (c[i, j] / total if total > 0.0 else 0.0) * m
            e[i, j] += back
            c[i, j] -= back
        # electrolyte -> cathode and -> alloy at the electrolyte's shares
        total = _column_total(e, j)
        mc, ma = max(to_cathode[j], 0.0), max(to_alloy[j], 0.0)
        for i in range(n_tags):
            share[i] = e[i, j] / total if total > 0.0 else 0.0
        for i in range(n_tags):
            tc = share[i] * mc
            e[i, j] -= tc + share[i] * ma
            c[i, j] += tc
        c[3, j] += max(entrained[j], 0.0)
        c[6, j] += max(collectors[j], 0.0)
        _rescale(e, out_e, j, inventory_e[j])
        _rescale(c, out_c, j, inventory_c[j])
    return out_e, out_c


@njit(cache=True, nogil=True)
def _rescale(a, out, j, inv):
    """Column j of ``out``: ``a``'s shares times the inventory (ledger.rescale)."""
    total = _column_total(a, j)
    keep = max(inv, 0.0)
    for i in range(a.shape[0]):
        out[i, j] = (a[i, j] / total if total > 0.0 else 0.0) * keep
    if total <= 0.0 and inv > 0.0:
        out[1, j] = inv


@njit(cache=True, nogil=True)
def include_salt(tags_e, tags_c, carried):
    """The electrolyte's tags [kg] after ``carried`` kg per element (negative: none) leave it
    at its tag shares as salt inclusions (ledger.transfer, then the electrolyte's tags less
    what left), as a new array; the same kg added to the cathode's 'salt_inclusions' row
    (row 7, ledger.add) of ``tags_c`` in place."""
    n_tags, n = tags_e.shape
    out = np.empty_like(tags_e)
    for j in range(n):
        total = _column_total(tags_e, j)
        m = max(carried[j], 0.0)
        for i in range(n_tags):
            out[i, j] = tags_e[i, j] - (tags_e[i, j] / total if total > 0.0 else 0.0) * m
        tags_c[7, j] += m
    return out
