"""`cellsim design` as a user runs it: an infeasible and an unbounded problem each end with a
message naming the constraint or the key (issue 18, "Bad input"). Lumped level with the lining
heat paths (--no-calibrate), 2-day campaigns, a handful of evaluations."""

from clitools import run_cli

COMMON = ("--no-calibrate", "--no-verify", "--maxiter", "6", "-q")
SHORT = ('schedule.duration="2 d"',)


def test_infeasible_problem_names_the_constraint_that_binds(tmp_path):
    # the 500 A reference pot uses ~17 MWh/t, most of it heater; 1 MWh/t is out of reach of
    # any set point in the range
    r = run_cli("design", "rusal-500A", "--minimize", "specific_energy",
                "--vary", "operation.temperature=740 degC..760 degC",
                "--subject-to", "specific_energy <= 1000", *COMMON, "-o", tmp_path / "d",
                sets=SHORT)
    assert r.exit_code == 1, r.output
    assert "infeasible" in r.output and "'specific_energy <= 1000' binds" in r.output
    assert "least-infeasible design: operation.temperature" in r.output
    assert "Traceback" not in r.output


def test_unbounded_problem_names_the_key_held_by_its_range(tmp_path):
    # the 500 A pot runs on its heater: a cooler set point loses less heat, so kWh/t falls
    # all the way to the lower end of the range (nothing but the range stops it)
    r = run_cli("design", "rusal-500A", "--minimize", "specific_energy",
                "--vary", "operation.temperature=740 degC..760 degC", *COMMON,
                "-o", tmp_path / "d", sets=SHORT)
    assert r.exit_code == 0, r.output
    assert "operation.temperature at its lower bound" in r.output
    assert ("unbounded within the keys' ranges: the optimum sits on the --vary bound of "
            "operation.temperature, which alone holds it") in r.output
    assert (tmp_path / "d" / "design.toml").exists()
