"""How the 3 kA result moves with each estimated input (one at a time, 45-day campaigns).

The reference cell `rusal-3kA` rests on estimates [E] (see rusal_prototypes). This case varies
each over its plausible range (docs/model.md, docs/references.md) and reports specific energy, current
efficiency and campaign length, as a tornado chart. Ranges: ACD 3.5-6 cm (design rule,
4-5 cm at 0.5 A/cm2, classic cells ~10 cm); salt conductivity 0.87-1.25 S/cm (Hurter's and
Sumitomo's baths, 2.1); dissolved Al solubility 0.005-0.02 wt% (3.2); salt-side mass transfer
0.56-1.31e-2 cm/s (2.1); side insulation 2-5 cm of vermiculite; anode alloy depth 8-16 cm;
external drops 0.02-0.10 V.

Below about 4 cm the pot no longer holds 750 degC on its Joule heat and the heater takes over:
the specific energy then follows the heat losses, not the ACD (energy = max(Joule, losses)).

Check: between the reference ACD (4.5 cm) and 6 cm, the change of specific energy must equal the
change of salt IR drop computed by hand, (3F/M_Al) j (ACD/kappa(T)) / CE, with kappa from the
Arrhenius law at each run's own mean melt temperature (the self-heating pot runs warmer at
wider ACD), within 3 %. The case also reports the ACD at which the model reaches 9 MWh/t.
"""

from __future__ import annotations

from pathlib import Path

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.validate import Check

NAME = "rusal_sensitivity"
TITLE = "Sensitivity of the 3 kA result to its estimated inputs"
FAST = False
KWH_T = 1e3 / 3.6e6
LUMPED = 'numerics.model="lumped"'  # the lumped level, whatever the default level is
# Fixed salt composition: the check is Ohm's law at the fresh melt's Arrhenius conductivity; with
# composition feedback the MgF2 the UBC feed brings lowers kappa over the campaign and the
# ACD term grows with it (cellsim.electrolyte; docs/electrolyte.md), which the hand
# calculation does not hold.
BASE = ['schedule.duration="45 d"', "schedule.stop_on_spec=false", LUMPED,
        "electrolyte.composition_feedback=false"]


def _side(vermiculite_m: float) -> str:
    layers = [("magnesia brick", "magnesia", 0.115, 4.0), ("fireclay brick", "fireclay", 0.115, 1.2),
              ("vermiculite insulating brick", "vermiculite", vermiculite_m, 0.15),
              ("steel shell", "steel", 0.01, 40.0)]
    tables = ", ".join(f'{{name="{n}", material="{m}", thickness="{t} m", thermal_conductivity="{k} W/(m K)"}}'
                       for n, m, t, k in layers)
    return f"lining.side=[{tables}]"


INPUTS = {  # label -> (low override, high override, low label, high label)
    "ACD": ('geometry.acd="3.5 cm"', 'geometry.acd="6 cm"', "3.5 cm", "6 cm"),
    "salt conductivity": ('electrolyte.conductivity="0.87 S/cm"',
                          'electrolyte.conductivity="1.25 S/cm"', "0.87 S/cm", "1.25 S/cm"),
    "dissolved Al solubility": ("electrolyte.dissolved_al_solubility=5e-5",
                                "electrolyte.dissolved_al_solubility=2e-4", "0.005 wt%", "0.02 wt%"),
    "salt mass transfer": ('electrolyte.mass_transfer_coefficient="0.56e-2 cm/s"',
                           'electrolyte.mass_transfer_coefficient="1.31e-2 cm/s"', "0.56e-2", "1.31e-2 cm/s"),
    "side insulation": (_side(0.02), _side(0.05), "2 cm", "5 cm"),
    "anode alloy depth": ('geometry.anode_alloy_depth="8 cm"', 'geometry.anode_alloy_depth="16 cm"',
                          "8 cm", "16 cm"),
    "external drops": ('operation.external_voltage_drop="0.02 V"',
                       'operation.external_voltage_drop="0.10 V"', "0.02 V", "0.10 V"),
}


def _run(extra: list[str]) -> dict:
    s = run_campaign(load_config("rusal-3kA", BASE + extra)).summary
    return {"energy": s["specific_energy"] * KWH_T, "ce": s["current_efficiency"],
            "voltage": s["mean_cell_voltage"], "T": s["mean_temperature"],
            "heater": s["mean_heater_power"]}


def _salt_ir_energy(acd: float, T: float, ce: float) -> float:
    """Hand calculation: salt IR energy [kWh/t] at 0.5 A/cm2, kappa = 1 S/cm at 750 degC, 10 kJ/mol."""
    import math

    kappa = 100.0 * math.exp(-10e3 / 8.314462618 * (1 / T - 1 / 1023.15))
    return 3 * 96485.33212 / 26.9815e-3 * 5000.0 * acd / kappa / ce / 3.6e6 * 1e3


def _stable_days(extra: list[str]) -> float:
    cfg = load_config("rusal-3kA", ['schedule.duration="150 d"', LUMPED] + extra)
    return run_campaign(cfg).summary["campaign_length"] / 86400


QUANTITY = "energy change, ACD 4.5 -> 6 cm"
HAND = "Ohm's law and Arrhenius kappa (hand calculation)"


def expected_checks() -> list[Check]:
    """The check this case makes; model and reference (computed from the runs) are NaN."""
    nan = float("nan")
    return [Check(NAME, QUANTITY, nan, nan, 0.03, "kWh/t", HAND, relative=True)]


def run(figures_dir=None) -> list[Check]:
    base = _run([])
    rows = {}
    for label, (lo, hi, lo_text, hi_text) in INPUTS.items():
        rows[label] = (_run([lo]), _run([hi]), lo_text, hi_text)
    hi = rows["ACD"][1]
    model_change = hi["energy"] - base["energy"]
    hand_change = (_salt_ir_energy(0.06, hi["T"], hi["ce"])
                   - _salt_ir_energy(0.045, base["T"], base["ce"]))
    acd_for_9 = 4.5 + (9000.0 - base["energy"]) / (model_change / 1.5)
    note = (f"base {base['energy']:.0f} kWh/t, CE {base['ce'] * 100:.2f} %, "
            f"{base['T'] - 273.15:.0f} degC; "
            + "; ".join(f"{k}: {v[2]} -> {v[0]['energy']:.0f}, {v[3]} -> {v[1]['energy']:.0f} kWh/t"
                        for k, v in rows.items())
            + f". The model reaches 9 MWh/t at an ACD of about {acd_for_9:.1f} cm.")
    days = {"8 cm alloy": _stable_days([INPUTS["anode alloy depth"][0]]),
            "16 cm alloy": _stable_days([INPUTS["anode alloy depth"][1]])}
    note += " Campaign length: " + ", ".join(f"{k} {v:.0f} d" for k, v in days.items()) + "."
    figures = ()
    if figures_dir is not None:
        figures = (_tornado(base["energy"], rows, Path(figures_dir) / "rusal_sensitivity.png"),)
    return [Check(NAME, QUANTITY, model_change, hand_change, 0.03, "kWh/t", HAND, relative=True,
                  note=note, figures=figures)]


def _tornado(base: float, rows: dict, path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    order = sorted(rows, key=lambda k: abs(rows[k][1]["energy"] - rows[k][0]["energy"]))
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for i, label in enumerate(order):
        lo, hi, lo_text, hi_text = rows[label]
        for run_, text, colour in ((lo, lo_text, "tab:blue"), (hi, hi_text, "tab:red")):
            ax.barh(i, run_["energy"] - base, left=base, color=colour, alpha=0.7)
            ax.text(run_["energy"], i, f" {text} ", va="center", fontsize=7,
                    ha="left" if run_["energy"] >= base else "right")
    ax.axvline(base, color="k", lw=1)
    ax.margins(x=0.15)
    ax.axvline(9000.0, color="grey", ls="--", lw=1, label="RUSAL ~9 MWh/t")
    ax.set_yticks(range(len(order)), order)
    ax.set(xlabel="specific energy [kWh/t Al], 45-day campaign",
           title="rusal-3kA: one-at-a-time sensitivity (blue: low, red: high)")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
