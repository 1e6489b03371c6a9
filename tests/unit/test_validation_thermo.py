"""The JANAF thermochemistry validation cases, their table reader, and cellsim.validate itself."""

import math

import pytest

from cellsim.elements import ELEMENTS
from cellsim.validate import Check, discover, format_table, write_report
from cellsim.validation import _janaf, feed_enthalpy, hall_heroult, thermodynamics

pytest.importorskip("janaf")

CASES = [thermodynamics, feed_enthalpy, hall_heroult]


# --- the cases --------------------------------------------------------------------------------

@pytest.mark.validation
@pytest.mark.parametrize("case", CASES, ids=lambda m: m.NAME)
def test_case_passes_except_declared_gaps(case):
    checks = case.run()
    assert checks and all(c.case == case.NAME for c in checks)
    assert case.FAST and case.TITLE and len(case.__doc__) > 200
    for c in checks:
        assert math.isfinite(c.model) and math.isfinite(c.reference), c.quantity
        if c.expected_failure:
            assert len(c.expected_failure) > 80, c.quantity
            # strict, like xfail_strict: a gap that closed must be removed from KNOWN_GAPS
            assert not c.passed, f"{c.quantity} now passes: drop its expected_failure"
        else:
            assert c.passed, f"{c.quantity}: {c.model} vs {c.reference} ({c.criterion()})"
    declared = set(getattr(case, "KNOWN_GAPS", {}))
    assert declared == {c.quantity for c in checks if c.expected_failure}


@pytest.mark.validation
def test_thermodynamics_covers_every_janaf_element_of_cellsim():
    checks = thermodynamics.run()
    checked = {q.split(":")[0] for q in (c.quantity for c in checks) if "cellsim vs JANAF" in q}
    expected = set(ELEMENTS) - {"Al"} - set(thermodynamics.NOT_CHECKABLE)
    assert checked == expected == {"Cu", "Fe", "Si", "Ti", "Mg"}
    assert not [c for c in checks if c.quantity.startswith(("Mn", "Zn"))]  # [E]: not faked
    dE = thermodynamics.delta_E()
    assert dE["Al", "chloride"] == dE["Al", "fluoride"] == 0.0
    # AlCl3: the liquid table cellsim's series uses equals the combined cr,l table at 1000 K
    liquid, combined = _janaf.table("AlCl3", "l"), _janaf.table("AlCl3", "cr,l")
    assert _janaf.gibbs_formation(liquid, 1000.0) == _janaf.gibbs_formation(combined, 1000.0)


@pytest.mark.validation
def test_feed_enthalpy_and_hall_heroult_headline_numbers():
    kwh_t = 1e3 / 3.6e6
    assert feed_enthalpy.janaf_heating(298.15, 1023.15) * kwh_t == pytest.approx(325.0, abs=1.0)
    assert hall_heroult.theoretical_energy() / 3.6e6 == pytest.approx(6.34, rel=0.01)


# --- the JANAF reader -------------------------------------------------------------------------

def test_formula_lookup_in_any_element_order():
    assert _janaf.table("CuCl", "cr,l").index == _janaf.table("ClCu", "cr,l").index == "Cl-011"
    assert _janaf.table("BaCl2", "cr,l").index == "Ba-015"
    assert _janaf.table("Na3AlF6", "cr,l").index == "Al-055"
    with pytest.raises(Exception, match="Aluminum Oxide"):  # four crystalline aluminas
        _janaf.table("Al2O3", "cr")
    with pytest.raises(ValueError):
        _janaf._formula_regex("Al2O3(cr)")


def test_enthalpy_interpolation_reproduces_rows_and_transitions():
    al = _janaf.table("Al", "cr,l")
    rows = {r.T: r for r in al.rows if r.dH is not None and not r.note}
    for T in (298.15, 500.0, 900.0, 1000.0, 1300.0):
        assert _janaf.enthalpy_increment(al, T) == pytest.approx(rows[T].dH, abs=1e-9)
    (Tm, note, h_fus), = _janaf.transitions(al)
    assert Tm == 933.45 and "LIQUID" in note and h_fus == pytest.approx(10.711e3, abs=1.0)
    jump = _janaf.enthalpy_increment(al, Tm, high=True) - _janaf.enthalpy_increment(al, Tm)
    assert jump == pytest.approx(h_fus)
    # liquid cp is constant, so the Hermite interpolant is exactly linear there
    mid = 0.5 * (_janaf.enthalpy_increment(al, 1000.0) + _janaf.enthalpy_increment(al, 1100.0))
    assert _janaf.enthalpy_increment(al, 1050.0) == pytest.approx(mid, rel=1e-12)
    with pytest.raises(ValueError, match="outside"):
        _janaf.gibbs_formation(al, 1e5)


# --- cellsim.validate -------------------------------------------------------------------------

def _check(model, reference=10.0, tolerance=1.0, **kw):
    return Check("hall_heroult", "q", model, reference, tolerance, "V", "src", **kw)


def test_check_kinds():
    assert _check(10.9).passed and _check(9.0).passed and not _check(11.1).passed
    assert _check(12.0, kind="at_most", tolerance=2.0).passed
    assert not _check(12.1, kind="at_most", tolerance=2.0).passed
    assert _check(-50, kind="at_most").passed
    assert _check(9.0, kind="at_least").passed and _check(1e9, kind="at_least").passed
    assert not _check(8.9, kind="at_least").passed
    rel = _check(10.49, tolerance=0.05, relative=True)
    assert rel.allowed == pytest.approx(0.5) and rel.passed
    assert not _check(10.51, tolerance=0.05, relative=True).passed
    assert _check(-10.4, reference=-10.0, tolerance=0.05, relative=True).passed  # |reference|
    assert not _check(float("nan")).passed and not _check(float("inf"), kind="at_least").passed


def test_check_status_and_criterion():
    assert _check(10.0).status == "pass"
    assert _check(20.0).status == "FAIL"
    assert _check(20.0, expected_failure="why").status == "FAIL (known)"
    assert _check(10.0, expected_failure="why").status == "pass (unexpected)"
    assert _check(10.0).criterion() == "±1 V"
    assert _check(10.0, tolerance=0.02, relative=True).criterion() == "±2 %"
    assert _check(10.0, kind="at_least").criterion() == ">= reference - 1 V"
    assert _check(10.0, kind="at_most", tolerance=0.05, relative=True).criterion() \
        == "<= reference + 5 %"
    assert _check(10.0, kind="at_most", tolerance=0.0).criterion() == "<= reference"


def test_format_table_aligns_one_row_per_check():
    checks = [_check(10.2), Check("thermodynamics", "a much longer quantity", 1.23456, 2.0, 0.1,
                                  "kJ/kg", "s", expected_failure="known")]
    lines = format_table(checks).splitlines()
    assert len(lines) == 4 and set(lines[1]) == {"-"}
    assert lines[0].split()[:3] == ["case", "quantity", "model"]
    assert "1.23456" in lines[3] and lines[3].rstrip().endswith("FAIL (known)")
    assert lines[2].index("10.2") == lines[3].index("1.23456")  # columns line up


def test_write_report(tmp_path):
    outdir = tmp_path / "report"
    figure = outdir / "figs" / "h.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"")
    checks = [_check(10.0, note="a note", figures=(str(figure),)),
              Check("feed_enthalpy", "gap", 5.0, 1.0, 0.1, "K", "src", expected_failure="because")]
    path = write_report(checks, outdir)
    text = path.read_text()
    assert path.name == "validation.md" and path.parent.is_dir()
    assert "| hall_heroult | q | 10 | 10 | ±1 V | V | pass | src |" in text
    assert "| feed_enthalpy | gap | 5 | 1 | ±0.1 K | K | FAIL (known) | src |" in text
    assert f"## {hall_heroult.TITLE} (`hall_heroult`)" in text
    assert hall_heroult.__doc__.strip().splitlines()[0] in text
    notes = [line for line in text.splitlines() if line.startswith("* **")]
    assert notes[0] == "* **q**: a note" and notes[1].startswith("* **gap**:")
    assert notes[1].endswith("because")
    assert "![q](figs/h.png)" in text
    assert set(discover()) >= {"thermodynamics", "feed_enthalpy", "hall_heroult"}
