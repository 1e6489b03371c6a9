"""Electrochemical series vs Al from NIST-JANAF [Chase1998].

Method. For each salt MXn the decomposition potential is E_d = -Δ_fG°(MXn)/(nF) at 1000 K
(727 degC), with Δ_fG° read from the NIST-JANAF tables (Chase 1998) shipped in the PyPI
package ``janaf`` 1.4, independently of cellsim; then ΔE = E_d(AlX3) - E_d(MXn) (> 0: nobler
than Al). Salts are those of cellsim's series (cellsim.elements): AlCl3 / AlF3, CuCl / CuF, FeCl2 / FeF2,
SiCl4(g) / SiF4(g) at 1 bar, TiCl3 / TiF3, MgCl2 / MgF2. The condensed phase is the combined
cr,l table where JANAF has one (it switches to the phase stable at 1000 K: CuCl and MgCl2
liquid, FeCl2 liquid, AlF3, FeF2 and MgF2 crystalline); CuF, TiCl3 and TiF3 exist only as
crystal tables. AlCl3 uses the liquid table as cellsim's series does (identical to its cr,l table
at 1000 K); at 1 bar AlCl3 is really a gas above 453 K and the liquid is an extrapolation, but
in a chloride melt Al(III) is dissolved as AlCl4-, so a condensed standard state is the
sensible one.

Checks. Each ΔE that cellsim uses (``cellsim.elements``: Cu, Fe, Si, Ti, Mg, both families)
is compared with the JANAF value at 1000 K, ±0.02 V (the series in cellsim.elements is
rounded to 0.01 V). cellsim's ΔE do not depend on temperature, so the same comparison is repeated at
the cells' 750 degC (passes: largest deviation 0.016 V, SiF4) and at 800 degC, where SiF4
(0.042 V) and CuF (0.025 V) drift out of tolerance: a known gap. A rounded series is often quoted as
valid within 0.03 V between 1000 and 1100 K; JANAF does not bear that out (SiF4 0.053 V,
CuF 0.037 V, KCl 0.076 V as K boils at 1032 K, NaCl and BaCl2 0.033 V); the notes give each
ΔE at 1100 K. E_d of the two Al salts anchor the absolute scale. Elements that
JANAF covers but cellsim does not track (Na, Li, K, Ca, Ba; Ni and Pb chlorides; TiCl2) are
compared with the tabulated values below (PD_*) instead, as a check of that table.

Not checkable. Mn and Zn are [E] in cellsim (Ellingham estimates from NBS 298 K data
[Wagman1982]): JANAF 1998 has no Mn or Zn halide tables, so their ΔE (Mn -0.05 / +0.90 V,
Zn +0.39 / +1.24 V, chloride / fluoride) are not checked here.

Deposition order. Huang et al. (JES 2022 [Huang2022]) observed, as the voltage rises,
Fe > Al > Si > Mn > Ti > Mg > Ca. The pure-salt ΔE reproduce part of it: Fe is the noblest,
Mg and Ca are less noble than Al with Ca last, and Si > Ti > Mg > Ca holds in both families.
They do not reproduce Al's place above Si and Ti: in both families SiX4 gives Si +0.38 V
(chloride) / +0.51 V (fluoride) nobler than Al, and TiF3 puts Ti +0.18 V above Al in fluorides
(in chlorides TiCl3 ties with Al, +0.004 V, which the checks count as reproduced within the
±0.02 V accuracy). Activity corrections, (RT/nF)·ln(a_M/a_Al^(n/3)), can close 0.18 V for Ti
(n = 3: a ratio of about 2e-3, i.e. dilute Ti), but closing 0.4-0.5 V for Si (n = 4) would need
ratios of 1e-8 to 1e-11, so Huang's order most likely reflects melt chemistry (fluoro- and
chloro-complexes) and kinetics that pure-salt data do not contain. These checks are kept as
known failures. Mn is excluded from the order checks (no JANAF data); cellsim's [E] values put
Mn below Ti in chlorides and above Si in fluorides, neither where Huang saw it.
"""

from __future__ import annotations

from cellsim.elements import ELEMENTS
from cellsim.validate import Check

from . import _janaf

NAME = "thermodynamics"
TITLE = "Electrochemical series vs Al from NIST-JANAF"
FAST = True
T_CHECK = 1000.0  # K, temperature of the tabulated series
T_SHIFT = 1100.0  # K, for the temperature sensitivity of ΔE
TOL = 0.02  # V, twice the rounding of the series (0.01 V)
SOURCE = "NIST-JANAF [Chase1998] via janaf 1.4, 1000 K"
FAMILIES = ("chloride", "fluoride")

# (formula, JANAF phase, n) of the salt of each element in each family.
SALTS: dict[str, dict[str, tuple[str, str, int]]] = {
    "Al": {"chloride": ("AlCl3", "l", 3), "fluoride": ("AlF3", "cr,l", 3)},
    "Cu": {"chloride": ("CuCl", "cr,l", 1), "fluoride": ("CuF", "cr", 1)},
    "Fe": {"chloride": ("FeCl2", "cr,l", 2), "fluoride": ("FeF2", "cr,l", 2)},
    "Si": {"chloride": ("SiCl4", "g", 4), "fluoride": ("SiF4", "g", 4)},
    "Ti": {"chloride": ("TiCl3", "cr", 3), "fluoride": ("TiF3", "cr", 3)},
    "Mg": {"chloride": ("MgCl2", "cr,l", 2), "fluoride": ("MgF2", "cr,l", 2)},
    # not tracked by cellsim: checked against the tabulated values only
    "Na": {"chloride": ("NaCl", "cr,l", 1), "fluoride": ("NaF", "cr,l", 1)},
    "Li": {"chloride": ("LiCl", "cr,l", 1), "fluoride": ("LiF", "cr,l", 1)},
    "K": {"chloride": ("KCl", "cr,l", 1), "fluoride": ("KF", "cr,l", 1)},
    "Ca": {"chloride": ("CaCl2", "cr,l", 2), "fluoride": ("CaF2", "cr,l", 2)},
    "Ba": {"chloride": ("BaCl2", "cr,l", 2), "fluoride": ("BaF2", "cr,l", 2)},
    "Ni": {"chloride": ("NiCl2", "cr,l", 2)},
    "Pb": {"chloride": ("PbCl2", "cr,l", 2)},
}
EXTRA_SALTS = {("Ti", "chloride"): ("TiCl2", "cr", 2)}  # the 3.1 table's second Ti chloride

# tabulated series, E_d and ΔE at 1000 K, for what cellsim does not hold [C] [Chase1998]
PD_E_AL = {"chloride": 1.752, "fluoride": 4.319}  # V, E_d of AlCl3(l) and AlF3
PD_DELTA_E = {
    ("Na", "chloride"): -1.55, ("Na", "fluoride"): -0.57,
    ("Li", "chloride"): -1.66, ("Li", "fluoride"): -1.07,
    ("K", "chloride"): -1.79, ("K", "fluoride"): -0.52,
    ("Ca", "chloride"): -1.57, ("Ca", "fluoride"): -1.16,
    ("Ba", "chloride"): -1.88, ("Ba", "fluoride"): -1.09,
    ("Ni", "chloride"): 0.94, ("Pb", "chloride"): 0.61, ("TiCl2", "chloride"): -0.09,
}
NOT_CHECKABLE = ("Mn", "Zn")  # [E] in cellsim, no JANAF halide tables

# Published order the pure-salt data are known not to reproduce (declared, not decided from
# the result: if the data or the salts change, the report shows "pass (unexpected)").
KNOWN_GAPS = {
    "ΔE at 800 degC: largest |cellsim - JANAF|": (
        "cellsim holds every ΔE at its 1000 K value. ΔE(SiF4) falls by about 0.5 mV/K (forming "
        "gaseous SiF4 consumes 0.25 mol of gas per electron, solid AlF3 0.5, so E_d(AlF3) drops "
        "faster with T), to +0.468 V at 800 degC vs cellsim's +0.51 V; CuF falls to +2.035 V vs "
        "+2.06. A hot fluoride bath can correct this with electrolyte.potential_offsets_V."),
    "chloride: Al nobler than Si (Huang order)": (
        "Pure SiCl4(g) at 1 bar is 0.38 V nobler than AlCl3; an activity shift of that size at "
        "n = 4 needs a_Si/a_Al ratios near 1e-8, so Huang's order reflects melt chemistry and "
        "kinetics beyond pure-salt thermodynamics (see case note)."),
    "fluoride: Al nobler than Si (Huang order)": (
        "Pure SiF4(g) is 0.51 V nobler than AlF3; closing that at n = 4 needs activity ratios "
        "near 1e-11 (see case note)."),
    "fluoride: Al nobler than Ti (Huang order)": (
        "TiF3 is 0.18 V nobler than AlF3; dilute Ti (activity ratio about 2e-3) could close "
        "this, but pure-salt data cannot (see case note)."),
}


def decomposition_potentials(T: float = T_CHECK) -> dict[tuple[str, str], float]:
    """E_d [V] of every salt in SALTS (and TiCl2) at T [K], keyed by (element, family)."""
    out = {}
    for symbol, by_family in SALTS.items():
        for family, (formula, phase, n) in by_family.items():
            out[symbol, family] = _janaf.decomposition_potential(
                _janaf.table(formula, phase), n, T)
    formula, phase, n = EXTRA_SALTS["Ti", "chloride"]
    out["TiCl2", "chloride"] = _janaf.decomposition_potential(_janaf.table(formula, phase), n, T)
    return out


def delta_E(T: float = T_CHECK) -> dict[tuple[str, str], float]:
    """ΔE = E_d(AlX3) - E_d(MXn) [V] at T [K], keyed by (element, family)."""
    e = decomposition_potentials(T)
    return {(m, f): e["Al", f] - v for (m, f), v in e.items()}


def _label(key: tuple[str, str]) -> str:
    symbol, family = key
    if symbol == "TiCl2":
        formula, phase, _ = EXTRA_SALTS["Ti", "chloride"]
    else:
        formula, phase, _ = SALTS[symbol][family]
    return f"{formula}({phase})"


def _cellsim(key: tuple[str, str]) -> float:
    el = ELEMENTS[key[0]]
    return el.delta_E_chloride if key[1] == "chloride" else el.delta_E_fluoride


def _order_checks(dE: dict[tuple[str, str], float]) -> list[Check]:
    checks = []
    for fam in FAMILIES:
        d = {m: dE[m, fam] for m in ("Fe", "Al", "Si", "Ti", "Mg", "Ca")}
        chains = (("Fe", "Si", "Ti", "Mg", "Ca"), ("Fe", "Al", "Mg", "Ca"))
        gaps = {f"{a}>{b}": d[a] - d[b] for chain in chains for a, b in zip(chain, chain[1:])}
        worst = min(gaps, key=gaps.get)
        order = " > ".join(sorted(d, key=d.get, reverse=True))
        checks.append(Check(
            NAME, f"{fam}: order Fe > Si > Ti > Mg > Ca and Fe > Al > Mg > Ca (smallest gap)",
            gaps[worst], 0.0, 0.0, "V", "Huang et al. JES 2022 [Huang2022]",
            kind="at_least", note=f"pure-salt order {order}; smallest gap {worst}."))
        for other in ("Si", "Ti"):
            q = f"{fam}: Al nobler than {other} (Huang order)"
            checks.append(Check(
                NAME, q, -d[other], 0.0, TOL, "V", "Huang et al. JES 2022 [Huang2022]",
                kind="at_least", note=f"ΔE(Al) - ΔE({other}) = {-d[other]:+.3f} V (pure salts).",
                expected_failure=KNOWN_GAPS.get(q, "")))
    return checks


def run(figures_dir=None) -> list[Check]:
    e = decomposition_potentials(T_CHECK)
    dE = delta_E(T_CHECK)
    dE_hot = delta_E(T_SHIFT)  # for the notes
    checks = []
    for fam in FAMILIES:
        checks.append(Check(NAME, f"Al: E_d {fam} ({_label(('Al', fam))})", e["Al", fam],
                            PD_E_AL[fam], 0.002, "V", SOURCE,
                            note="JANAF computation vs the tabulated figure (3 decimals)."))
    for symbol in ELEMENTS:
        if symbol == "Al" or symbol in NOT_CHECKABLE:
            continue
        for fam in FAMILIES:
            key = (symbol, fam)
            checks.append(Check(
                NAME, f"{symbol}: ΔE {fam} ({_label(key)}), cellsim vs JANAF", _cellsim(key),
                dE[key], TOL, "V", SOURCE, note=f"E_d = {e[key]:.3f} V vs {e['Al', fam]:.3f} V for "
                f"{_label(('Al', fam))}; ΔE at 1100 K {dE_hot[key]:+.3f} V."))
    for key, ref in PD_DELTA_E.items():
        checks.append(Check(
            NAME, f"{key[0]}: ΔE {key[1]} ({_label(key)}), JANAF vs tabulated", dE[key],
            ref, TOL, "V", SOURCE, note=f"not tracked by cellsim; E_d = {e[key]:.3f} V."))
    tracked = [(m, f) for m in ELEMENTS if m != "Al" and m not in NOT_CHECKABLE for f in FAMILIES]
    for T_C in (750.0, 800.0):
        dE_T = delta_E(T_C + 273.15)
        dev = {k: abs(_cellsim(k) - dE_T[k]) for k in tracked}
        worst = max(dev, key=dev.get)
        q = f"ΔE at {T_C:g} degC: largest |cellsim - JANAF|"
        checks.append(Check(
            NAME, q, dev[worst], 0.0, TOL, "V", SOURCE, kind="at_most",
            note=f"largest for {_label(worst)}: JANAF {dE_T[worst]:+.3f} V, cellsim "
            f"{_cellsim(worst):+.3f} V (constant in T).", expected_failure=KNOWN_GAPS.get(q, "")))
    checks += _order_checks(dE)
    return checks
