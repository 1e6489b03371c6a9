"""RUSAL's 3 kA and 500 A prototypes at the field level (axisymmetric r-z current, heat and
species fields driving the campaign inventories).

Published (RUSAL press release, 3 Oct 2025 [RUSAL2025]): about 9 MWh per tonne of
Al, metal above 99.7 % Al (P1020/A7) from contaminated scrap, stable cycles of 40-45 days.

Inputs. As in `rusal_prototypes`: the currents come from the source; geometry, salt,
temperature, alloy, linings and feed (UBC scrap as the "off-grade" feed) are estimates [E] of
the reference cells `rusal-3kA` and `rusal-500A` (design rule of docs/model.md, "Reference cell design"). The field
level adds no fitted parameter: the same configuration is solved with the r-z current field
(Butler-Volmer at the electrode faces), the transient heat field with the frozen ledge, and
the dissolved impurities transported by the species field. Its lining thicknesses are
estimates [E] (docs/campaign.md); `rusal_sensitivity` shows what the energy does when they
change (side insulation row).

Checks. Energy: 9 +- 1 MWh/t over a 45-day campaign (the spread between lab and prototype
figures [RUSAL2025], [RUSAL2026]). Purity: every tap of the 45-day campaign at least 99.70 % Al and
within the P1020A Si, Fe and Zn limits (hard limits, no tolerance). Cycle: the campaign is
rerun with `schedule.stop_on_spec = true` for up to 120 days; the days until a tap breaks the
specification or the anode alloy breaks its limits must be at least 40 (the published 40-45 d
cycle is the operator's schedule; the model says how long the alloy would last, and the note
names what ends it). At 3 kA also the Al tapped per 45-day cycle, 1.0 +- 0.1 t (Faraday's law
at CE 0.95).

Figures (with `--report`): voltage breakdown, heat balance, purity of every tap per element
against the P1020A limits and the anode alloy over the 3 kA campaign; the temperature field at
the end of it with the ledge front, and the frozen ledge thickness along the side wall. With
the reference linings the 3 kA pot needs its heater to hold 750 degC, so the salt stays above
its liquidus (700 degC in rusal-3kA [E]) everywhere and no ledge forms (the figure gives the
coldest salt temperature); a self-heating design with thinner side insulation would freeze one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import ALL_ELEMENTS
from cellsim.validate import Check

NAME = "rusal_field"
TITLE = "RUSAL prototypes at the field level (axisymmetric r-z)"
FAST = False
SOURCE = "RUSAL press release 3 Oct 2025 [RUSAL2025]"
P1020 = "P1020A [Fastmarkets-nd]"
KWH_T = 1e3 / 3.6e6
FIELD = ['numerics.model="axisymmetric"']
CELLS = (("rusal-3kA", "3 kA"), ("rusal-500A", "500 A"))
LIMITED = ("Si", "Fe", "Zn")
CAP_DAYS = 120.0

KNOWN_GAPS = {
    "500 A, axisymmetric level: specific energy": (
        "The 500 A pot scaled at the same 0.5 A/cm2 makes only ~1.2 kW of Joule heat against "
        "~2 kW of losses through its lining and rods, so its heater holds 750 degC and its energy "
        "counts; the 2D heat field loses more than the lumped balance, so the gap is wider than "
        "in rusal_prototypes. The prototype's geometry, insulation and heating are unpublished "
        "(its ~9 MWh/t may exclude heating, or it may run a wider ACD that makes the heat)."),
}


def _quantities(current: str) -> list[tuple]:
    """(quantity, reference, tolerance, unit, source, kind) of the checks of one cell."""
    level = f"{current}, axisymmetric level"
    rows = [(f"{level}: specific energy", 9.0, 1.0, "MWh/t Al", SOURCE, "within"),
            (f"{level}: lowest tap Al", 99.70, 0.0, "wt%", SOURCE + "; P1020A", "at_least")]
    rows += [(f"{level}: highest tap {s}", None, 0.0, "wt%", P1020, "at_most") for s in LIMITED]
    rows.append((f"{level}: days in spec and within alloy limits", 40.0, 0.0, "d", SOURCE,
                 "at_least"))
    if current == "3 kA":
        rows.append((f"{level}: Al per 45-day cycle", 1.0, 0.1, "t", "[RUSAL2025]; Faraday's law",
                     "within"))
    return rows


def _limit(cell: str, quantity: str) -> float:
    symbol = quantity.rsplit(" ", 1)[-1]
    return load_config(cell).product.max_fraction[symbol] * 100


def expected_checks() -> list[Check]:
    """The checks this case makes, with NaN model values (nothing is run)."""
    out = []
    for cell, current in CELLS:
        for q, ref, tol, unit, source, kind in _quantities(current):
            ref = _limit(cell, q) if ref is None else ref
            out.append(Check(NAME, q, float("nan"), ref, tol, unit, source, kind=kind,
                             expected_failure=KNOWN_GAPS.get(q, "")))
    return out


def _note(result) -> str:
    s = result.summary
    return (f"U = {s['mean_cell_voltage']:.3f} V, CE = {s['current_efficiency'] * 100:.2f} %, "
            f"heater {s['mean_heater_power'] / 1e3:.2f} kW, "
            f"T = {s['mean_temperature'] - 273.15:.0f} degC; {len(result.taps)} taps.")


def _campaign(cell: str, figures_dir, duration: str = "45 d"):
    """The 45-day field campaign; with figures, its panels, end temperature field and ledge."""
    overrides = [f'schedule.duration="{duration}"', "schedule.stop_on_spec=false", *FIELD]
    if figures_dir is None:
        return run_campaign(load_config(cell, overrides)), ()
    from cellsim.checkpoint import RunFile
    from cellsim.plot import campaign_figures
    from cellsim.snapshots import read_snapshot

    cfg = load_config(cell, overrides + ['numerics.snapshot_interval="5 d"',
                                         'numerics.checkpoint_interval="1000 d"'])
    with tempfile.TemporaryDirectory() as tmp:
        run = RunFile(Path(tmp) / "field.h5")
        result = run_campaign(cfg, run=run)
        snap = read_snapshot(run.part, result.summary["campaign_length"])
    out = Path(figures_dir)
    figures = [str(p) for p in campaign_figures(result, out, prefix=f"{NAME}-{cell}-")
               if not p.name.endswith("overview.png")]
    figures.append(_ledge_figure(snap, out / f"{NAME}-{cell}-ledge.png", cell,
                                 cfg.electrolyte.liquidus))
    return result, tuple(figures)


def ledge_thickness(snap: dict) -> tuple[np.ndarray, np.ndarray]:
    """(z centres [m], frozen electrolyte thickness [m]) of the rows that hold electrolyte:
    sum over r of (1 - liquid fraction) dr over the electrolyte cells of each row."""
    salt = snap["material"] == snap["regions"]["electrolyte"]
    dr = np.diff(snap["r_faces"])[:, None]
    frozen = np.where(salt, (1.0 - snap["liquid_fraction"]) * dr, 0.0).sum(axis=0)
    rows = salt.any(axis=0)
    zc = 0.5 * (snap["z_faces"][1:] + snap["z_faces"][:-1])
    return zc[rows], frozen[rows]


def _ledge_figure(snap: dict, path: Path, cell: str, liquidus: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cellsim.plot_fields import temperature

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 6), layout="constrained",
                                   gridspec_kw={"width_ratios": (3, 2)})
    temperature(snap, ax0)
    z, thick = ledge_thickness(snap)
    ax1.plot(thick * 100, z * 100, "o-", ms=3)
    ax1.set(xlabel="frozen electrolyte (ledge) thickness [cm]", ylabel="height z [cm]",
            title="Ledge along the side wall")
    ax1.set_xlim(left=0.0)
    ax1.grid(True, lw=0.3)
    salt = snap["material"] == snap["regions"]["electrolyte"]
    t_min = snap["temperature"][salt].min() - 273.15
    ax1.text(0.97, 0.03, f"thickest {thick.max() * 1e3:.1f} mm\ncoldest salt {t_min:.0f} degC\n"
             f"salt liquidus {liquidus - 273.15:.0f} degC", transform=ax1.transAxes, ha="right",
             va="bottom", fontsize=9, bbox={"fc": "w", "ec": "0.7"})
    fig.suptitle(f"{cell}, axisymmetric level: day {snap['time'] / 86400:.1f}")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def stable_days(cell: str) -> tuple[float, str]:
    """Days until a tap breaks the specification or the alloy breaks its limits (120 d cap)."""
    cfg = load_config(cell, [f'schedule.duration="{CAP_DAYS:g} d"', "schedule.stop_on_spec=true",
                             *FIELD])
    result = run_campaign(cfg)
    return result.summary["campaign_length"] / 86400.0, result.stop_reason


def run(figures_dir=None) -> list[Check]:
    checks = []
    for cell, current in CELLS:
        result, figures = _campaign(cell, figures_dir if current == "3 kA" else None)
        s, taps = result.summary, result.taps
        days, reason = stable_days(cell)
        values = {
            "specific energy": (s["specific_energy"] * KWH_T / 1e3, _note(result)),
            "lowest tap Al": (min(t.purity for t in taps) * 100,
                              f"{len(taps)} taps on {result.config.scrap.name}"),
            "days in spec and within alloy limits": (
                days, f"ended by: {reason}" + (" (the 120-day cap)" if reason == "duration reached"
                                               else "")),
            "Al per 45-day cycle": (s["al_produced"] / 1e3 * 45 * 86400 / s["campaign_length"],
                                    f"CE {s['current_efficiency'] * 100:.2f} %"),
        }
        for symbol in LIMITED:
            worst = max(t.composition[ALL_ELEMENTS.index(symbol)] for t in taps) * 100
            values[f"highest tap {symbol}"] = (worst, "")
        for q, ref, tol, unit, source, kind in _quantities(current):
            model, note = values[q.split(": ", 1)[1]]
            ref = _limit(cell, q) if ref is None else ref
            checks.append(Check(NAME, q, model, ref, tol, unit, source, kind=kind, note=note,
                                expected_failure=KNOWN_GAPS.get(q, ""),
                                figures=figures if q.endswith("specific energy") else ()))
    return checks
