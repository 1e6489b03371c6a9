"""The electrolyte's component masses from the cell's salt inventories in one call.

``component_masses`` does what ``cellsim.electrolyte.provider.SaltProvider._masses`` does
with NumPy's indexed additions (the base salt in its fresh proportions less the co-deposited
cations' halides, the AlX3, each dissolved impurity as its halide), in the same order and
the same floating-point operations, so the masses are the same bit for bit at a fraction of
the cost of some ten small array operations (the provider asks for them a few times a step).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def component_masses(n, base, alx3, impurities, deficit, deficit_sum, base_ix, base_w,
                     deficit_ix, pro_rata, alx3_ix, halide_ix, halide_per_element):
    """Masses [kg] (n,) over the salt's components.

    base, alx3: kg of base salt and AlX3 (negative: none); impurities (k,): kg of each
    dissolved impurity element (negative: none), its halide in column halide_ix[i] with
    halide_per_element[i] kg of halide per kg of element; deficit (c,): kg of each
    co-deposited cation's halide missing from the base, taken from column deficit_ix[i]
    unless ``pro_rata`` (then from the base pro rata: not subtracted here), deficit_sum its
    sum; base_ix, base_w (b,): the base's columns and fresh mass fractions; alx3_ix the
    AlX3's column.
    """
    m = np.zeros(n)
    base = 0.0 if base < 0.0 else base
    if deficit.size and not pro_rata:  # the base less its co-deposited halides
        b = base + deficit_sum
        for k in range(base_ix.size):
            m[base_ix[k]] += b * base_w[k]
        for k in range(deficit_ix.size):
            m[deficit_ix[k]] -= deficit[k]
    else:
        for k in range(base_ix.size):
            m[base_ix[k]] += base * base_w[k]
    m[alx3_ix] += 0.0 if alx3 < 0.0 else alx3
    for k in range(halide_ix.size):
        v = impurities[k]
        m[halide_ix[k]] += (0.0 if v < 0.0 else v) * halide_per_element[k]
    return m
