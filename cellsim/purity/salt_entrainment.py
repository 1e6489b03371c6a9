"""Pathway (c'): electrolyte carried into the product as salt inclusions.

Droplets and films of the electrolyte are caught in the cathode metal (at the interface, when the
metal is stirred, at tapping): a mass ``beta`` of salt per mass of Al deposited, with the
melt's composition of the moment. Each kg of salt carried brings its cations' metals into
the analysis of the product (Na of NaF, Ba of BaCl2, Mg of the MgX2 the scrap's Mg made, the
Fe and Si of the make-up salts), the halogen stays as the inclusion's anion.

No measured coefficient was found for a refining cell (nor for Hall-Heroult metal in the
sources consulted): beta is [E], default 1e-5 kg of salt per kg of Al, range 1e-6 to 1e-4.
The upper end is set by an independent datum: at 1e-4 the inclusions alone put ~100 ppm of
salt into the metal, which with the Cu 20-40 ppm of industrial three-layer metal
[HighPurityAluminum-nd] would leave it outside 4N; the lower end is where the pathway no longer
matters against the others (Na 0.1 ppm from a Gadeau bath). docs/purity.md.

The functions take plain numbers and arrays; ``cellsim.cell.Cell`` books the transfer.
"""

from __future__ import annotations

import functools

import numpy as np

from ..electrolyte.components import ATOMIC_MASS, COMPONENTS


def carried_fraction(beta: float, al_deposited: float, salt_mass: float) -> float:
    """Fraction of the electrolyte carried into the product when ``al_deposited`` kg of Al deposit
    (``beta`` kg of salt per kg of Al, ``salt_mass`` kg of salt in the pot); never above 1."""
    if beta <= 0.0 or al_deposited <= 0.0 or salt_mass <= 0.0:
        return 0.0
    return min(beta * al_deposited / salt_mass, 1.0)


def metal_fraction(name: str) -> tuple[str, float] | None:
    """(cation, kg of the cation's metal per kg) of a salt component; None for a component
    cellsim does not know by formula (the 'base' pseudo-component)."""
    if name not in COMPONENTS:
        return None
    comp = COMPONENTS[name]
    return comp.cation, ATOMIC_MASS[comp.cation] / comp.molar_mass


_metal_fraction = functools.lru_cache(maxsize=None)(metal_fraction)  # per component name


def metals_of(names, masses) -> dict[str, float]:
    """kg of each metal in salt components ``names`` of ``masses`` kg (cations summed over
    components; unknown components skipped)."""
    out: dict[str, float] = {}
    for name, m in zip(names, np.asarray(masses, dtype=float).tolist()):
        mf = _metal_fraction(name)
        if mf is not None and m > 0.0:
            out[mf[0]] = out.get(mf[0], 0.0) + mf[1] * float(m)
    return out
