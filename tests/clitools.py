"""Shared set-up of the command-line tests: the CLI invoked in-process and small sweep specs."""

from __future__ import annotations

import os
import textwrap

from click.testing import CliRunner

from cellsim.cli import main

LUMPED_SET = 'numerics.model="lumped"'


def run_cli(*args, sets=(), cwd=None):
    """``cellsim ARGS --set S1 --set S2 ...`` through click's runner (in this process, so
    coverage and monkeypatches apply); ``cwd`` the working folder during the call. Returns
    click's Result (exit_code, output, exception)."""
    argv = [str(a) for a in args]
    for s in sets:
        argv += ["--set", s]
    if cwd is None:
        return CliRunner().invoke(main, argv)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, argv)
    finally:
        os.chdir(old)


def sweep_spec(name: str, parameters: str, sets=('schedule.duration="2 d"', LUMPED_SET),
               design: str | None = None, base: str = "rusal-3kA") -> str:
    """TOML of a sweep of ``base`` named ``name``: ``sets`` applied to every case, the
    ``[parameters]`` table's lines given as text (one ``"key" = [...]`` a line)."""
    lines = ["[sweep]", f'name = "{name}"', f'base = "{base}"']
    if design is not None:
        lines.append(f'design = "{design}"')
    lines.append("set = [" + ", ".join(f"'{s}'" for s in sets) + "]")
    lines += ["[parameters]", textwrap.dedent(parameters).strip(), ""]
    return "\n".join(lines)
