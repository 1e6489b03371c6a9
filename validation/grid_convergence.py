"""Discretisation error of the reference runs: how far the headline figures of the default r-z
grid and the 3 h step are from their converged values.

Verification comes before validation: a validation check that passes at 9 MWh/t means little if
the number itself moves by a few per cent with the grid. This case runs each reference cell
(rusal-3kA, rusal-500A) at the axisymmetric level for 10 days on the coarse, default and 2x
grids (`numerics.resolution`, each 2x finer in every direction) and rusal-3kA at 3, 1.5 and
0.75 h steps (`cellsim converge`, cellsim.convergence), and checks each output's grid
convergence index (GCI: Fs times the Richardson estimate of the error, Fs = 1.25 for three
levels in monotone convergence, 3 otherwise [Roache1997]) on the default level against 0.5 %,
the accuracy the field levels are meant to give their headline figures.

Inputs: the reference configurations as they are; nothing is fitted. The checks are on the
specific energy, the mean heater power, the current efficiency and the product's impurity
(1 - Al, the quantity whose relative error means something at 99.99 % Al).

Known gaps. The heater closes the heat balance, so it carries the whole discretisation error of
the losses, which converge at an observed order of ~1.6 on these grids (asymptotically nearer 1:
the lining's conductivity junctions, docs/speed.md "Grid convergence"); at 3 kA the heater is
a sixth of the ~8 kW of losses, so their ~0.3 % error is ~2 % of it. `numerics.resolution =
"fine"` brings it within 0.5 % of its own 2x grid for 8-10x the CPU; the default is kept for the
run time (docs/heat.md, Limits). Cost: about 40 s (the two 2x-grid runs dominate), so the case
is slow.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cellsim.convergence import OUTPUTS, study
from cellsim.validate import Check

NAME = "grid_convergence"
TITLE = "Discretisation error of the reference runs (GCI of the default grid and step)"
FAST = False
SOURCE = "GCI [Roache1997]"
LIMIT = 0.5  # % of the value
DURATION = 10 * 86400.0
FIELD = ('numerics.model="axisymmetric"',)
STUDIES = (("rusal-3kA", "3 kA", "grid"), ("rusal-500A", "500 A", "grid"),
           ("rusal-3kA", "3 kA", "time-step"))
CHECKED = ("specific_energy", "mean_heater_power", "current_efficiency", "product_impurity")
LABEL = {o.key: o.label for o in OUTPUTS}

_HEATER_GAP = (
    "The heater closes the heat balance, so it carries the whole discretisation error of the "
    "losses, which converge at ~1.6 on these grids (nearer 1 asymptotically: the lining's "
    "conductivity junctions, docs/speed.md). The default grid is kept for speed; "
    "numerics.resolution = \"fine\" brings the heater within 0.5 % of its 2x grid for 8-10x the CPU.")
KNOWN_GAPS = {
    "3 kA, default r-z grid: mean heater power, GCI": _HEATER_GAP,
    "500 A, default r-z grid: mean heater power, GCI": _HEATER_GAP,
}


def _quantity(current: str, kind: str, key: str) -> str:
    level = "default r-z grid" if kind == "grid" else "3 h step (r-z)"
    return f"{current}, {level}: {LABEL[key]}, GCI"


def expected_checks() -> list[Check]:
    """The checks this case makes, with NaN model values (nothing is run)."""
    out = []
    for _, current, kind in STUDIES:
        for key in CHECKED:
            q = _quantity(current, kind, key)
            out.append(Check(NAME, q, float("nan"), LIMIT, 0.0, "%", SOURCE, kind="at_most",
                             expected_failure=KNOWN_GAPS.get(q, "")))
    return out


def run(figures_dir=None) -> list[Check]:
    checks, results = [], []
    for cell, current, kind in STUDIES:
        st = study(cell, FIELD, kind, None, DURATION)
        results.append((current, kind, st))
        own = [r.level.label for r in st.runs].index(st.own)
        levels = ", ".join(f"{r.level.label}" + (f" ({r.cells} cells)" if kind == "grid" else "")
                           for r in st.runs)
        for key in CHECKED:
            e = st.estimates[key]
            o = next(o for o in OUTPUTS if o.key == key)
            order = f"observed order {e.observed_order:.2f}" if e.observed_order is not None else "no order"
            note = (f"{levels}: " + ", ".join(f"{v * o.scale:.6g}" for v in e.values) + f" {o.unit}; "
                    f"{e.condition}, {order}, Fs {e.safety_factor:g}; error of the default "
                    f"{100 * e.errors[own]:+.3g} %" + ("; " + "; ".join(st.problems) if st.problems else ""))
            q = _quantity(current, kind, key)
            checks.append(Check(NAME, q, 100 * e.gci[own], LIMIT, 0.0, "%", SOURCE, kind="at_most",
                                note=note, expected_failure=KNOWN_GAPS.get(q, "")))
    if figures_dir is not None:
        path = _plot(results, Path(figures_dir) / "grid_convergence.png")
        checks = [dataclasses.replace(c, figures=(path,)) for c in checks]
    return checks


def _plot(results, path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9.5, 7.0))
    for ax, key in zip(axes.flat, CHECKED):
        for current, kind, st in results:
            e = st.estimates[key]
            h = [r.level.size / st.runs[-1].level.size for r in st.runs]  # finest = 1
            rel = [100 * (v - e.extrapolated) / abs(e.extrapolated) for v in e.values]
            ax.plot(h, rel, "o-", label=f"{current}, {'grid' if kind == 'grid' else 'time step'}")
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("cell size or time step / finest [-]")
        ax.set_ylabel("to the Richardson estimate [%]")
        ax.set_title(LABEL[key], fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
