"""Figures of a campaign result (matplotlib, Agg backend): what a researcher looks at first.

Each function draws one panel on a given Axes from a :class:`CampaignResult` (live or read
back from HDF5); :func:`campaign_figures` writes the standard set of PNG files. Units are on
every axis label.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .elements import ALL_ELEMENTS, IMPURITIES  # noqa: E402
from .lumped.electrical import VOLTAGE_TERMS  # noqa: E402
from .lumped.thermal import FACES  # noqa: E402
from .results import CampaignResult  # noqa: E402
from .units import celsius, day  # noqa: E402

DAY = day  # s
COLOURS = dict(zip(IMPURITIES, plt.get_cmap("tab10").colors))


def _days(result: CampaignResult) -> np.ndarray:
    return result.series["time"] / DAY


def _split(ax, ratios=(1.4, 1.0)):
    """Replace ``ax`` by two stacked axes sharing x in the same slot of the figure."""
    fig = ax.figure
    gs = ax.get_subplotspec().subgridspec(2, 1, height_ratios=ratios, hspace=0.08)
    ax.remove()
    top = fig.add_subplot(gs[0])
    bottom = fig.add_subplot(gs[1], sharex=top)
    top.tick_params(labelbottom=False)
    return top, bottom


def _legend_outside(ax, **kw) -> None:
    """Legend to the right of the axes, never over the data."""
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def _plain_ticks(*axes) -> None:
    """No offset or scientific multiplier on the y axis ('+1.1235e4' reads as noise)."""
    for ax in axes:
        if ax.get_yscale() == "linear":
            ax.ticklabel_format(axis="y", useOffset=False, style="plain")


def voltage_breakdown(result: CampaignResult, ax) -> None:
    """Cell voltage and its largest term [V] on top; every other term in its own scale [mV]
    below (they are 1-10 % of the cell voltage and would vanish in a stack)."""
    t, s = _days(result), result.series
    top, bottom = _split(ax)
    top.plot(t, s["cell_voltage"], color="k", lw=1.5, label="cell voltage")
    big = max(VOLTAGE_TERMS, key=lambda n: np.nanmean(np.abs(s[f"voltage_{n}"])))
    top.plot(t, s[f"voltage_{big}"], color="tab:blue", lw=1.2, label=big.replace("_", " "))
    top.set(ylabel="voltage [V]", title="Cell voltage and its terms")
    _legend_outside(top)
    for i, name in enumerate(n for n in VOLTAGE_TERMS if n != big):
        bottom.plot(t, s[f"voltage_{name}"] * 1e3, lw=1.3, color=plt.get_cmap("tab10")(i + 1),
                    ls=("-", "--", "-.", ":")[i % 4],  # equal terms (anode, cathode) stay visible
                    label=name.replace("_", " "))
    others = np.array([s[f"voltage_{n}"] for n in VOLTAGE_TERMS if n != big])
    if np.all(others > 0):  # terms from 0.1 to 200 mV: a log scale keeps each one readable
        bottom.set_yscale("log")
    bottom.set(xlabel="time [d]", ylabel="other terms [mV]")
    _legend_outside(bottom)
    _plain_ticks(top, bottom)


def heat_balance(result: CampaignResult, ax) -> None:
    """Heat sources and losses [kW] on top; the melt temperature [degC] below."""
    t, s = _days(result), result.series
    top, bottom = _split(ax, (1.8, 1.0))
    for face in FACES:
        top.plot(t, s[f"heat_loss_{face}"] / 1e3, label=f"loss: {face}")
    top.plot(t, s["joule_heat"] / 1e3, "k-", lw=1.5, label="Joule heat")
    top.plot(t, s["heater_power"] / 1e3, "r--", label="heater")
    top.plot(t, s["feed_sink"] / 1e3, ":", color="grey", label="scrap heating")
    top.set(ylabel="power [kW]", title="Heat balance and melt temperature")
    _legend_outside(top)
    T = celsius(s["temperature"])
    bottom.plot(t, T, color="tab:purple", lw=1.2, label="melt")
    mid, half = 0.5 * (T.max() + T.min()), max(0.5 * (T.max() - T.min()), 5.0)
    bottom.set_ylim(mid - 1.2 * half, mid + 1.2 * half)  # a 1 K ripple should look like one
    bottom.set(xlabel="time [d]", ylabel="melt [degC]")
    _plain_ticks(top, bottom)


def product_purity(result: CampaignResult, ax) -> None:
    """Impurities of every tapped batch [ppm, log] against the product specification limits."""
    spec = result.config.product
    if not result.taps:
        ax.text(0.5, 0.5, "no taps", ha="center", transform=ax.transAxes)
        return
    t = np.array([tap.time for tap in result.taps]) / DAY
    comp = np.array([tap.composition for tap in result.taps])
    floor = 1e-3
    for symbol in IMPURITIES:
        ppm = comp[:, ALL_ELEMENTS.index(symbol)] * 1e6
        below = bool(np.all(ppm < floor))
        ax.semilogy(t, np.maximum(ppm, floor), "o-" if not below else "o:", ms=3,
                    color=COLOURS[symbol], mfc="none" if below else COLOURS[symbol],
                    label=f"{symbol} (< {floor:g} ppm)" if below else symbol)
        if symbol in spec.max_fraction:
            limit = spec.max_fraction[symbol] * 1e6
            ax.axhline(limit, color=COLOURS[symbol], ls="--", lw=0.8)
            ax.text(t[0], limit, f"{symbol} max {limit:g} ppm", color=COLOURS[symbol],
                    fontsize=7, va="bottom")
    total_limit = (1 - spec.min_al_fraction) * 1e6
    ax.axhline(total_limit, color="k", ls="--", lw=1, label=f"total ({spec.name} Al min)")
    ax.text(t[-1], total_limit, f"total {total_limit:g} ppm", fontsize=7, va="bottom", ha="right")
    # room above the top line for its label (it touched the title): a factor 3 on the log axis
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, max(hi, 3.0 * total_limit))
    bad = [i for i, tap in enumerate(result.taps) if tap.violations]
    if bad:
        ax.plot(t[bad], np.full(len(bad), total_limit), "rx", ms=9, label="tap out of spec")
    ax.set(xlabel="tap time [d]", ylabel="impurity in tapped metal [ppm by mass]",
           title=f"Tapped metal vs {spec.name} (dashed: limits; {floor:g} ppm floor)")
    _legend_outside(ax)


def alloy_composition(result: CampaignResult, ax) -> None:
    """Anode alloy composition [wt%] and the limit that ends the campaign."""
    t, w = _days(result), result.series["alloy_composition"] * 100
    aa = result.config.anode_alloy
    for symbol in IMPURITIES:
        col = w[:, ALL_ELEMENTS.index(symbol)]
        if col.max() > 1e-3:
            ax.plot(t, col, color=COLOURS[symbol], label=symbol)
    limited = sum(w[:, ALL_ELEMENTS.index(e)] for e in aa.limited_elements)
    ax.plot(t, limited, "k-", lw=1.5, label="+".join(aa.limited_elements))
    ax.axhline(aa.max_impurity_fraction * 100, color="k", ls="--", lw=0.8, label="limit")
    sched = result.config.schedule
    if sched.bleed_mode in ("threshold", "both") and sched.bleed_threshold is not None:
        ax.axhline(sched.bleed_threshold * 100, color="tab:brown", ls=":", lw=0.8,
                   label="bleed threshold")
    for i, bleed in enumerate(result.bleeds):
        ax.axvline(bleed.time / DAY, color="tab:brown", lw=0.6, alpha=0.6,
                   label=f"bleed ({len(result.bleeds)}: {result.summary.get('alloy_bled', 0):.0f} kg)"
                   if i == 0 else None)
    title = "Anode alloy composition" + (" (vertical lines: bleeds)" if result.bleeds else "")
    ax.set(xlabel="time [d]", ylabel="anode alloy [wt%]", title=title)
    _legend_outside(ax)
    _plain_ticks(ax)


def electrolyte(result: CampaignResult, ax) -> None:
    """The electrolyte's composition [wt%] and its conductivity [S/cm] and density [g/cm3]
    over time; vertical lines: partial salt renewals."""
    from .electrolyte.provider import SaltProvider

    t, s = _days(result), result.series
    if "electrolyte_composition" not in s:  # a file written before the electrolyte was recorded
        ax.text(0.5, 0.5, "electrolyte composition not recorded in this file", ha="center",
                transform=ax.transAxes)
        ax.set(title="Electrolyte composition and properties")
        return
    names = SaltProvider(result.config).names
    w = s["electrolyte_composition"] * 100
    top, bottom = _split(ax)
    for i, name in enumerate(names):
        if w[:, i].max() > 0.5:
            top.plot(t, w[:, i], label=name)
    for target in (top, bottom):
        for i, renewal in enumerate(result.renewals):
            target.axvline(renewal.time / DAY, color="tab:brown", lw=0.6, alpha=0.6,
                           label=f"renewal ({len(result.renewals)})" if i == 0 else None)
    top.set(ylabel="electrolyte [wt%]", title="Electrolyte composition and properties")
    _legend_outside(top)
    bottom.plot(t, s["electrolyte_conductivity"] / 100, "k--", lw=1, label="conductivity [S/cm]")
    bottom.plot(t, s["electrolyte_density"] / 1e3, "k:", lw=1, label="density [g/cm3]")
    bottom.set(xlabel="time [d]", ylabel="S/cm, g/cm3")
    _legend_outside(bottom)
    _plain_ticks(top, bottom)


PANELS = {
    "voltage": voltage_breakdown,
    "heat": heat_balance,
    "purity": product_purity,
    "alloy": alloy_composition,
    "electrolyte": electrolyte,
}


def campaign_figures(result: CampaignResult, outdir: str | Path, prefix: str = "") -> list[Path]:
    """Write one PNG per panel plus an overview; return the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in PANELS.items():
        fig, ax = plt.subplots(figsize=(8.5, 5.0), layout="constrained")
        draw(result, ax)
        paths.append(outdir / f"{prefix}{name}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    fig, axes = plt.subplots(2, 3, figsize=(22, 9.5), layout="constrained")
    axes.flat[-1].set_axis_off()
    for ax, draw in zip(axes.flat, PANELS.values()):
        draw(result, ax)
    fig.suptitle(f"{result.config.meta.name}: {result.config.scrap.name}, "
                 f"{result.config.operation.current / 1e3:g} kA; ended by {result.stop_reason}",
                 fontsize=10)
    paths.append(outdir / f"{prefix}overview.png")
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    return paths
