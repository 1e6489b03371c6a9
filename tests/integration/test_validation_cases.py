"""The fast validation cases run in the normal test suite; slow ones run with `cellsim validate`."""

import pytest
from click.testing import CliRunner

from cellsim.cli import main
from cellsim.validate import discover, run_cases

pytestmark = pytest.mark.validation


def test_every_case_declares_its_note_and_speed():
    cases = discover()
    assert "rusal_prototypes" in cases and "rusal_sensitivity" in cases
    for name, module in cases.items():
        assert isinstance(module.FAST, bool) and module.TITLE
        assert module.__doc__ and len(module.__doc__) > 200, f"{name} needs a case note"


@pytest.mark.parametrize("name", [n for n, m in discover().items() if m.FAST])
def test_fast_case_passes_or_fails_only_where_a_known_gap_is_explained(name):
    checks = run_cases([name])
    assert checks
    for check in checks:
        assert check.source, check
        if check.expected_failure:
            assert len(check.expected_failure) > 80, check.quantity
        else:
            assert check.passed, f"{check.quantity}: model {check.model} vs {check.reference}"


def test_cli_lists_runs_and_reports(tmp_path):
    runner = CliRunner()
    listing = runner.invoke(main, ["validate", "--list"])
    assert listing.exit_code == 0 and "rusal_prototypes" in listing.output
    result = runner.invoke(main, ["validate", "--case", "rusal_prototypes", "--report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "validation.md").read_text()
    assert "RUSAL 500 A and 3 kA prototypes" in report and "FAIL (known)" in report
    unknown = runner.invoke(main, ["validate", "--case", "nope"])
    assert unknown.exit_code == 2 and "unknown validation case" in unknown.output
