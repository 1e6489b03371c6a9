"""Read NIST-JANAF tables (Chase 1998) through the PyPI package ``janaf`` for validation cases.

Independent of cellsim's own thermochemistry: the numbers come from the tables shipped in
``janaf`` (install with the ``validation`` extra), read here into SI units:

* temperatures [K], molar heat capacity [J/(mol K)],
* enthalpy increment H(T) - H(298.15 K) and Gibbs energy / enthalpy of formation [J/mol].

JANAF writes a formula in its own element order ('ClCu' for CuCl, 'BaCl2', 'AlF6Na3' for
cryolite), so :func:`table` accepts the formula in any order and matches every ordering.
At a phase transition a table lists the temperature twice; the row with the lower enthalpy
is the low-temperature phase.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

FARADAY = 96485.33212  # C/mol (CODATA 2018, exact)
T_REF = 298.15  # K, JANAF reference temperature
KJ = 1e3  # J per kJ: JANAF tabulates enthalpies and Gibbs energies in kJ/mol


@dataclass(frozen=True)
class Row:
    T: float  # K
    cp: float | None  # J/(mol K)
    dH: float | None  # H(T) - H(298.15 K), J/mol
    dfH: float | None  # enthalpy of formation, J/mol
    dfG: float | None  # Gibbs energy of formation, J/mol
    note: str  # JANAF's note at transition rows ('CRYSTAL <--> LIQUID', 'TRANSITION'), else ''


@dataclass(frozen=True)
class JanafTable:
    index: str  # JANAF table id, e.g. 'Al-004'
    formula: str  # as JANAF writes it, with phase, e.g. 'Al1(cr,l)'
    name: str
    rows: tuple[Row, ...]  # ordered by temperature, low-temperature phase first at a transition

    def label(self) -> str:
        return f"{self.formula} [{self.index}]"


def _formula_regex(formula: str) -> str:
    """Regex matching ``formula`` ('CuCl', 'Na3AlF6') with its elements in any order."""
    tokens = re.findall(r"([A-Z][a-z]?)(\d*)", formula)
    if "".join(e + n for e, n in tokens) != formula:
        raise ValueError(f"cannot parse formula {formula!r}")
    orders = {"".join(e + n for e, n in perm) for perm in itertools.permutations(tokens)}
    return "^(?:" + "|".join(sorted(orders)) + ")$"


def _number(value) -> float | None:
    return None if value is None else float(value)


@cache
def table(formula: str, phase: str, name: str | None = None) -> JanafTable:
    """The JANAF table of ``formula`` in ``phase`` ('cr', 'l', 'cr,l', 'g', 'ref').

    ``name`` (a regex on the JANAF name, e.g. 'Aluminum Oxide$') separates tables sharing a
    formula and phase (the alpha/gamma/... aluminas). Raises ``janaf.index.NotUnique`` when the
    choice is ambiguous or absent.
    """
    try:
        import janaf
    except ModuleNotFoundError as err:  # optional dependency
        raise ModuleNotFoundError(
            "the thermochemical validation cases need the 'janaf' package: "
            "pip install 'cellsim[validation]'") from err
    found = janaf.search(formula=_formula_regex(formula), phase=f"^{re.escape(phase)}$", name=name)
    df = found.df
    columns = [df[c].to_list() for c in ("T(K)", "Cp", "H-H(Tr)", "delta-f H", "delta-f G", "Note")]
    rows = [Row(float(T), _number(cp), None if h is None else h * KJ,
                None if fh is None else fh * KJ, None if fg is None else fg * KJ, note or "")
            for T, cp, h, fh, fg, note in zip(*columns)]
    # JANAF lists a transition temperature twice; order those rows by enthalpy (low phase first).
    rows.sort(key=lambda r: (r.T, float("-inf") if r.dH is None else r.dH))
    return JanafTable(found.index, found.formula, found.name, tuple(rows))


def _bracket(rows: list[Row], T: float, high: bool = False) -> tuple[Row, Row]:
    pairs = list(zip(rows, rows[1:]))
    for lo, hi in reversed(pairs) if high else pairs:
        if lo.T < hi.T and lo.T <= T <= hi.T:
            return lo, hi
    raise ValueError(f"T = {T} K outside the table ({rows[0].T}-{rows[-1].T} K)")


def enthalpy_increment(tab: JanafTable, T: float, high: bool = False) -> float:
    """H(T) - H(298.15 K) [J/mol], cubic Hermite between table rows (values and cp as slopes).

    Between two rows of one phase the enthalpy is C1-smooth, so the Hermite form reproduces the
    tabulated H and cp at both rows. At a transition temperature it returns the low-temperature
    phase, or the high-temperature one if ``high``.
    """
    rows = [r for r in tab.rows if r.dH is not None and r.cp is not None]
    lo, hi = _bracket(rows, T, high)
    h = hi.T - lo.T
    s = (T - lo.T) / h
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * lo.dH + h10 * h * lo.cp + h01 * hi.dH + h11 * h * hi.cp


def heat_capacity(tab: JanafTable, T: float, high: bool = False) -> float:
    """cp(T) [J/(mol K)], linear between rows; at a transition as in enthalpy_increment."""
    rows = [r for r in tab.rows if r.cp is not None]
    lo, hi = _bracket(rows, T, high)
    return lo.cp + (hi.cp - lo.cp) * (T - lo.T) / (hi.T - lo.T)


def enthalpy(tab: JanafTable, T: float) -> float:
    """Absolute-scale molar enthalpy Δ_fH°(298.15 K) + H(T) - H(298.15 K) [J/mol]."""
    ref = next(r for r in tab.rows if r.T == T_REF)
    return ref.dfH + enthalpy_increment(tab, T)


def gibbs_formation(tab: JanafTable, T: float) -> float:
    """Δ_fG°(T) [J/mol] from the elements in their reference states, linear between rows."""
    rows = [r for r in tab.rows if r.dfG is not None]
    lo, hi = _bracket(rows, T)
    return lo.dfG + (hi.dfG - lo.dfG) * (T - lo.T) / (hi.T - lo.T)


def transitions(tab: JanafTable) -> list[tuple[float, str, float]]:
    """Phase transitions of a table: (T [K], JANAF note, ΔH of the transition [J/mol])."""
    out = []
    rows = list(tab.rows)
    for a, b in zip(rows, rows[1:]):
        if a.T == b.T and a.dH is not None and b.dH is not None:
            out.append((a.T, a.note or b.note, b.dH - a.dH))
    return out


def decomposition_potential(tab: JanafTable, n: int, T: float) -> float:
    """E_d = -Δ_fG°(MXn)/(nF) [V] of a salt MXn (n electrons per formula unit)."""
    return -gibbs_formation(tab, T) / (n * FARADAY)
