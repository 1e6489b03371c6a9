"""``cellsim sweep-report``: figures and a Markdown summary of a finished (or partial) sweep.

Reads only ``summary.h5``. Figures: key outputs against each swept parameter (one line per
value of a second parameter), heatmaps when exactly two parameters span a grid, the Pareto
front of specific energy against purity, and sensitivity indices for sampled designs.
Failed cases are listed, drawn as gaps, and excluded from indices with the count reported.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .sensitivity import Indices, from_table
from .store import REPORT_COLUMNS, read_summary
from ..units import celsius

KEY_OUTPUTS = ("specific_energy", "current_efficiency", "product_al", "mean_heater_power",
               "co2e_per_al", "campaign_length")
TITLES = {"specific_energy": "Specific energy", "current_efficiency": "Current efficiency",
          "product_al": "Product impurities (all taps)", "mean_heater_power": "Mean heater power",
          "co2e_per_al": "Carbon footprint", "campaign_length": "Campaign length"}


@dataclasses.dataclass
class Report:
    text: str
    figures: list[Path]
    indices: list[Indices]


def _out(table: dict, name: str) -> tuple[np.ndarray, str]:
    """Output column in reporting units (NaN for failed cases) and its unit."""
    unit, factor = REPORT_COLUMNS[name]
    values = table["outputs"].get(name, np.full(len(table["case"]), np.nan)) * factor
    return np.where(table["status"] == "ok", values, np.nan), unit


def _inp(table: dict, key: str) -> tuple[np.ndarray, str]:
    """Input column in its display unit."""
    unit, kind = table["input_units"][key]
    values = table["inputs"][key]
    if kind == "quantity":
        from ..units import parse_unit

        values = celsius(values) if unit == "degC" else values / parse_unit(unit).factor
    return values, unit or "1"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def line_plots(table: dict, out: Path) -> list[Path]:
    """Key outputs against each parameter, one line per value of the other parameters."""
    plt = _plt()
    keys, figures = list(table["inputs"]), []
    for key in keys:
        x, xunit = _inp(table, key)
        others = [k for k in keys if k != key]
        labels = [tuple(table["inputs"][k][i] for k in others) for i in range(len(x))]
        groups = list(dict.fromkeys(labels))
        fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), layout="constrained")
        for ax, name in zip(axes.flat, KEY_OUTPUTS):
            y, yunit = _out(table, name)
            if name == "product_al":  # 99.9997 wt% reads as an offset; plot what is not Al
                y, yunit = (100.0 - y) * 1e4, "ppm, 100 % - Al"
            for g in groups if len(groups) <= 8 else [None]:
                sel = np.array([lab == g for lab in labels]) if g is not None else np.ones(len(x), bool)
                order = np.argsort(x[sel], kind="stable")
                label = ", ".join(_describe(table, k, v) for k, v in zip(others, g)) if g else None
                ax.plot(x[sel][order], y[sel][order], "o-" if g is not None else "o", ms=4,
                        label=label)
            ax.set_xlabel(f"{key} [{xunit}]")
            ax.set_ylabel(f"{'impurities' if name == 'product_al' else name} [{yunit}]")
            ax.set_title(TITLES[name])
            ax.grid(alpha=0.3)
            ax.ticklabel_format(axis="y", useOffset=False)
        if others and len(groups) <= 8:  # one legend for the figure, outside every panel
            handles, names = axes.flat[0].get_legend_handles_labels()
            fig.legend(handles, names, fontsize=8, loc="outside lower center",
                       ncol=min(len(names), 4))
        fig.suptitle(f"{table['attrs']['name']}: key outputs against {key}")
        path = out / f"lines_{key}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        figures.append(path)
    return figures


def _describe(table: dict, key: str, si_value, short: bool = False) -> str:
    unit, kind = table["input_units"][key]
    name = "" if short else key.split(".")[-1] + " "
    if kind != "quantity":
        return f"{name}{si_value}"
    from ..units import parse_unit

    value = celsius(si_value) if unit == "degC" else si_value / parse_unit(unit).factor
    return f"{name}{value:.3g} {unit}"


def heatmaps(table: dict, out: Path) -> list[Path]:
    """kWh/t and impurity content on the grid of exactly two parameters."""
    keys = list(table["inputs"])
    if len(keys) != 2 or table["attrs"]["design"] not in ("grid",):
        return []
    plt = _plt()
    (x, xu), (y, yu) = _inp(table, keys[0]), _inp(table, keys[1])
    xs, ys = np.unique(x), np.unique(y)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    energy, eunit = _out(table, "specific_energy")
    purity, _ = _out(table, "product_al")
    fields = [("Specific energy", energy, eunit, "viridis"),
              ("Impurities in the product (all taps)", (100.0 - purity) * 1e4, "ppm", "magma_r")]
    for ax, (title, values, unit, cmap) in zip(axes, fields):
        grid = np.full((len(ys), len(xs)), np.nan)
        for xi, yi, v in zip(x, y, values):
            grid[np.searchsorted(ys, yi), np.searchsorted(xs, xi)] = v
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap,
                       extent=_extent(xs) + _extent(ys))
        for (j, i), v in np.ndenumerate(grid):
            ax.text(xs[i], ys[j], "failed" if np.isnan(v) else f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}", ha="center",
                    va="center", fontsize=7, color="white" if np.isnan(v) else "k",
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", alpha=0.6, lw=0))
        fig.colorbar(im, ax=ax, label=f"[{unit}]")
        ax.set_xlabel(f"{keys[0]} [{xu}]")
        ax.set_ylabel(f"{keys[1]} [{yu}]")
        ax.set_title(f"{title} [{unit}]")
    fig.suptitle(f"{table['attrs']['name']}: {keys[0]} x {keys[1]}")
    path = out / "heatmap.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


def _extent(v: np.ndarray) -> list[float]:
    step = (v[-1] - v[0]) / (len(v) - 1) if len(v) > 1 else 1.0
    return [v[0] - step / 2, v[-1] + step / 2]


def pareto_mask(cost: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Cases not dominated by any other (lower cost and higher benefit); NaN never on the front."""
    ok = np.isfinite(cost) & np.isfinite(benefit)
    front = np.zeros(len(cost), dtype=bool)
    for i in np.flatnonzero(ok):
        better = ok & (cost <= cost[i]) & (benefit >= benefit[i]) & ((cost < cost[i]) | (benefit > benefit[i]))
        front[i] = not better.any()
    return front


def pareto_plot(table: dict, out: Path) -> tuple[Path, np.ndarray]:
    """Specific energy against impurity content (100 % - Al, ppm): lower left is better."""
    plt = _plt()
    energy, eunit = _out(table, "specific_energy")
    purity, _ = _out(table, "product_al")
    impurity = (100.0 - purity) * 1e4  # wt% -> ppm
    front = pareto_mask(energy, -impurity)
    fig, ax = plt.subplots(figsize=(9.5, 5.5), constrained_layout=True)
    ax.plot(energy, impurity, "o", color="0.6", ms=5, label="cases")
    order = np.argsort(energy[front])
    ax.plot(energy[front][order], impurity[front][order], "o-", color="C3", ms=6,
            label="Pareto front (labels: " + ", ".join(k.split(".")[-1] for k in table["inputs"]) + ")")
    for n, i in enumerate(np.flatnonzero(front)[np.argsort(energy[front])]):
        label = ", ".join(_describe(table, k, table["inputs"][k][i], short=True) for k in table["inputs"])
        ax.annotate(label, (energy[i], impurity[i]), fontsize=7, textcoords="offset points",
                    xytext=(5, 6 if n % 2 else -11))
    ax.set_yscale("log")
    ax.set_xlabel(f"specific energy [{eunit}]")
    ax.set_ylabel("impurities in the product, 100 % - Al [ppm]")
    failed = int(np.sum(table["status"] != "ok"))
    ax.set_title(f"{table['attrs']['name']}: energy vs purity, lower left is better"
                 + (f"\n({failed} failed or outside-window case(s) not shown)" if failed else ""))
    ax.grid(alpha=0.3, which="both")
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    path = out / "pareto.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path, front


def sensitivity_plot(indices: list[Indices], out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, len(indices), figsize=(4.2 * len(indices), 4), squeeze=False,
                             constrained_layout=True)
    for ax, ind in zip(axes.flat, indices):
        pos = np.arange(len(ind.parameters))
        ax.bar(pos - 0.2, ind.first, 0.4, label="first order S1",
               yerr=None if ind.first_ci is None else _err(ind.first, ind.first_ci))
        if ind.total is not None:
            ax.bar(pos + 0.2, ind.total, 0.4, label="total ST", yerr=_err(ind.total, ind.total_ci))
        ax.set_xticks(pos, [p.split(".")[-1] for p in ind.parameters], rotation=30)
        ax.set_ylabel("Sobol index [1]")
        ax.set_title(f"{ind.output}\n({ind.method}, {int(ind.used.min())} of {ind.available} used)",
                     fontsize=9)
        ax.axhline(0, color="k", lw=0.5)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.suptitle("Sobol indices with bootstrap 95 % intervals (failed cases excluded)")
    path = out / "sensitivity.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _err(value: np.ndarray, ci: np.ndarray) -> np.ndarray:
    return np.abs(np.vstack([value - ci[:, 0], ci[:, 1] - value]))


def _table_md(table: dict, front: np.ndarray) -> list[str]:
    keys = list(table["inputs"])
    cols = [f"{k} [{_inp(table, k)[1]}]" for k in keys]
    cols += [f"{n} [{REPORT_COLUMNS[n][0]}]" for n in KEY_OUTPUTS] + ["Pareto", "status"]
    lines = ["| case | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for i, case in enumerate(table["case"]):
        row = [f"{_inp(table, k)[0][i]:.4g}" if table["input_units"][k][1] == "quantity"
               else str(table["inputs"][k][i]) for k in keys]
        for name in KEY_OUTPUTS:
            v = _out(table, name)[0][i]
            row.append("" if np.isnan(v) else f"{v:.4f}" if name == "product_al"
                       else f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}")
        row += ["*" if front[i] else "", str(table["status"][i])]
        lines.append(f"| {case} | " + " | ".join(row) + " |")
    return lines


def make_report(folder: str | Path, out: str | Path | None = None) -> Report:
    """Write figures and ``report.md`` for the sweep in ``folder``; return text and paths."""
    table = read_summary(folder)
    out = Path(out) if out else Path(folder) / "report"
    out.mkdir(parents=True, exist_ok=True)
    design = table["attrs"]["design"]
    figures = line_plots(table, out) if design in ("grid", "zip") else []
    figures += heatmaps(table, out)
    pareto, front = pareto_plot(table, out)
    figures.append(pareto)
    indices: list[Indices] = []
    if design in ("lhs", "sobol", "saltelli"):
        figures = line_plots(table, out) + figures  # scatter panels for sampled designs
        indices = [from_table(table, name) for name in ("specific_energy", "product_al",
                                                        "current_efficiency")]
        figures.append(sensitivity_plot(indices, out))
    status = table["status"]
    lines = [f"# Sweep {table['attrs']['name']}", "",
             f"design {design}, {len(status)} cases: {int(np.sum(status == 'ok'))} ok, "
             f"{int(np.sum(status == 'failed'))} failed, "
             f"{int(np.sum(status == 'outside_window'))} outside the operating window, "
             f"{int(np.sum(status == 'pending'))} pending",
             "", *_table_md(table, front), ""]
    for case, st, err in zip(table["case"], status, table["error"]):
        if st == "failed":
            lines.append(f"- {case} failed: {err}")
        elif st == "outside_window":
            lines.append(f"- {case}: {err} (no energy or purity results)")
    for ind in indices:
        lines += ["", f"Sensitivity of {ind.output} ({ind.method}; failed cases excluded):", "",
                  "| parameter | S1 | S1 95% CI | ST | ST 95% CI | used |", "|---|---|---|---|---|---|"]
        for i, p in enumerate(ind.parameters):
            ci1 = "" if ind.first_ci is None else f"{ind.first_ci[i, 0]:.3f} .. {ind.first_ci[i, 1]:.3f}"
            st = "" if ind.total is None else f"{ind.total[i]:.3f}"
            ci2 = "" if ind.total_ci is None else f"{ind.total_ci[i, 0]:.3f} .. {ind.total_ci[i, 1]:.3f}"
            lines.append(f"| {p} | {ind.first[i]:.3f} | {ci1} | {st} | {ci2} | "
                         f"{ind.used[i]} of {ind.available} |")
    lines += ["", "Figures:", *[f"- {f.name}" for f in figures]]
    text = "\n".join(lines)
    (out / "report.md").write_text(text + "\n")
    return Report(text, figures, indices)


__all__ = ["Report", "make_report", "pareto_mask"]
