"""Constrained design search over configuration keys (``cellsim design``).

A problem is: minimise (or maximise) one output, over chosen keys each within bounds
(``--vary KEY=LOW..HIGH``), subject to inequality constraints on outputs (``--subject-to
"product_al >= 99.7"``). Outputs and constraints are read in reporting units (kWh/t, wt%,
degC, d, kW, ppm; :data:`cellsim.uq.HEADLINE`), plus ``liquidus`` (the electrolyte's, degC).

The search works in the unit box of the varied keys with ``scipy.optimize``: ``cobyla``
(default: derivative-free, local, constraints handled directly; campaign outputs are piecewise
smooth, with steps where a tap or the stop moves by one time step), ``slsqp`` (gradients by
finite differences; for smooth problems) or ``de`` (differential evolution, global, integer
keys allowed; many evaluations). Every evaluation is recorded (the history). A failed
evaluation (the configuration is invalid or the campaign fails) counts as infeasible.

If no evaluated point satisfies every constraint, the problem is reported infeasible and the
constraint violated most at the least-infeasible point is named. At a feasible optimum the
constraints within 0.1 % of their sides' magnitude, and the search bounds the optimum sits on,
are named as binding.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from typing import Callable

import numpy as np

from .config import ConfigError
from .uq import HEADLINE, derived_outputs, display
from .units import celsius

METHODS = ("cobyla", "slsqp", "de")
FEASIBILITY_TOL = 1e-6  # a constraint met to this fraction of its sides' magnitude is met
BINDING_TOL = 1e-3  # a constraint within this fraction of its sides' magnitude binds
EXTRA_VARIABLES = {"liquidus": "degC"}


class DesignError(ValueError):
    """A design problem that cannot be posed; the message names the option and the value."""


@dataclasses.dataclass(frozen=True)
class Variable:
    key: str
    low: float  # in the override's units (SI for quantities, TOML numbers otherwise)
    high: float
    kind: str  # quantity | number | integer
    dimension: str
    unit: str  # display unit of the user's bounds

    def override(self, value: float) -> str:
        from .sweep.spec import Parameter

        return Parameter(self.key, self.kind, self.dimension, self.unit).override(value)

    def display(self, value: float) -> float:
        from .sweep.spec import Parameter

        return float(Parameter(self.key, self.kind, self.dimension, self.unit).display(value))


@dataclasses.dataclass(frozen=True)
class Constraint:
    text: str
    lhs: ast.expr
    rhs: ast.expr
    op: str  # ">=" or "<="

    def margin(self, values: dict) -> float:
        """>= 0 when satisfied (in the expression's units)."""
        a, b = _eval(self.lhs, values), _eval(self.rhs, values)
        return a - b if self.op == ">=" else b - a

    def scale(self, values: dict) -> float:
        return max(abs(_eval(self.rhs, values)), abs(_eval(self.lhs, values)), 1e-12)


def known_outputs() -> list[str]:
    return sorted(list(HEADLINE) + list(EXTRA_VARIABLES))


def parse_vary(text: str, origin: str = "--vary") -> Variable:
    """``KEY=LOW..HIGH`` with units on both ends for a dimensional key."""
    from .sweep.spec import key_spec
    from .units import UnitError, parse_quantity

    if "=" not in text or ".." not in text.split("=", 1)[1]:
        raise DesignError(f"{origin} {text!r}: expected KEY=LOW..HIGH, e.g. "
                          "geometry.acd=\"4 cm..6 cm\"")
    key, bounds = (s.strip() for s in text.split("=", 1))
    lo_text, hi_text = (s.strip().strip('"').strip("'") for s in bounds.split("..", 1))
    try:
        kind, dim, scale = key_spec(key, origin)
    except ConfigError as exc:
        raise DesignError(f"{origin} {text!r}: {exc.expected}") from None
    if kind not in ("quantity", "number", "integer"):
        raise DesignError(f"{origin} {text!r}: '{key}' is not a number (a {kind} key)")
    if kind == "quantity":
        try:
            lo, hi = parse_quantity(lo_text, dim), parse_quantity(hi_text, dim)
        except UnitError as exc:
            raise DesignError(f"{origin} {text!r}: '{key}' needs a {dim.replace('_', ' ')} with "
                              f"units at both ends, e.g. 4 cm..6 cm ({exc})") from None
        unit = hi_text.lstrip("+-0123456789.eE").strip()
    else:
        try:
            lo, hi = float(lo_text), float(hi_text)
        except ValueError:
            raise DesignError(f"{origin} {text!r}: '{key}' takes plain numbers, e.g. 0.3..0.7"
                              ) from None
        unit = "wt%" if scale == 0.01 else ""
    if not lo < hi:
        raise DesignError(f"{origin} {text!r}: expected LOW < HIGH")
    return Variable(key, lo, hi, kind, dim, unit)


_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b}


def _eval(node: ast.expr, values: dict) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, values)
    raise DesignError(f"unsupported expression {ast.unparse(node)!r}")


def _names(node: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def parse_objective(name: str, origin: str = "--minimize") -> str:
    if name not in HEADLINE:
        raise DesignError(f"{origin} {name!r}: unknown output; one of {sorted(HEADLINE)}")
    return name


def parse_constraint(text: str, origin: str = "--subject-to") -> Constraint:
    """``EXPR >= EXPR`` or ``EXPR <= EXPR`` over outputs (reporting units) and numbers."""
    for op in (">=", "<="):
        if op in text:
            left, right = text.split(op, 1)
            break
    else:
        raise DesignError(f"{origin} {text!r}: expected 'EXPR >= EXPR' or 'EXPR <= EXPR'")
    try:
        lhs, rhs = (ast.parse(s.strip(), mode="eval").body for s in (left, right))
    except SyntaxError:
        raise DesignError(f"{origin} {text!r}: not an arithmetic expression") from None
    known = set(known_outputs())
    for node in (lhs, rhs):
        unknown = _names(node) - known
        if unknown:
            raise DesignError(f"{origin} {text!r}: unknown output '{sorted(unknown)[0]}'; "
                              f"known: {', '.join(known_outputs())}")
        for sub in ast.walk(node):
            if not isinstance(sub, (ast.Expression, ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp,
                                    ast.Load, ast.USub, *tuple(_OPS))):
                raise DesignError(f"{origin} {text!r}: only numbers, output names and + - * /")
            if isinstance(sub, ast.Constant) and not isinstance(sub.value, (int, float)):
                raise DesignError(f"{origin} {text!r}: only numbers, output names and + - * /")
    return Constraint(text, lhs, rhs, op)


@dataclasses.dataclass
class Evaluation:
    x: tuple  # variable values (override units)
    outputs: dict  # reporting units; empty if the evaluation failed
    objective: float
    margins: tuple  # one per constraint, >= 0 satisfied; -inf if failed
    error: str = ""

    scales: tuple = ()  # magnitude of each constraint's sides (tolerance reference)

    @property
    def feasible(self) -> bool:
        return not self.error and all(m >= -FEASIBILITY_TOL * s
                                      for m, s in zip(self.margins, self.scales or
                                                      (1.0,) * len(self.margins)))


@dataclasses.dataclass
class DesignResult:
    variables: tuple
    objective: str
    sense: str
    constraints: tuple
    best: Evaluation | None  # best feasible point, None if infeasible
    least_infeasible: Evaluation | None
    history: list
    binding: list  # constraint texts binding at the optimum, or violated most when infeasible
    message: str

    @property
    def feasible(self) -> bool:
        return self.best is not None


def reporting_outputs(summary: dict, config=None) -> dict:
    """Summary (SI) -> the outputs in reporting units that objectives and constraints name."""
    s = derived_outputs(summary)
    out = {k: float(display(k, s[k])) for k in HEADLINE if k in s}
    if config is not None:
        out["liquidus"] = celsius(config.electrolyte.liquidus)
    return out


def campaign_evaluator(base: str, fixed: tuple[str, ...], variables: tuple[Variable, ...]
                       ) -> Callable[[tuple], dict]:
    """x -> outputs (reporting units) from a campaign of ``base`` with the overrides."""
    from .campaign import run_campaign
    from .config import load_config

    def evaluate(x: tuple) -> dict:
        sets = tuple(fixed) + tuple(v.override(xi) for v, xi in zip(variables, x))
        config = load_config(base, sets)
        return reporting_outputs(run_campaign(config).summary, config)

    return evaluate


def solve(evaluate: Callable[[tuple], dict], variables: tuple[Variable, ...], objective: str,
          constraints: tuple[Constraint, ...] = (), *, sense: str = "min", method: str = "cobyla",
          x0: tuple | None = None, maxiter: int = 60, seed: int = 0,
          progress: Callable[[Evaluation], None] | None = None) -> DesignResult:
    """Search the box of ``variables`` for the best feasible ``objective``."""
    if method not in METHODS:
        raise DesignError(f"--method {method!r}: one of {list(METHODS)}")
    if any(v.kind == "integer" for v in variables) and method != "de":
        raise DesignError("an integer key (" + ", ".join(v.key for v in variables if v.kind == "integer")
                          + ") needs --method de")
    from scipy import optimize

    lo = np.array([v.low for v in variables])
    hi = np.array([v.high for v in variables])
    sign = 1.0 if sense == "min" else -1.0
    history: list[Evaluation] = []
    memo: dict[tuple, Evaluation] = {}

    def point(u: np.ndarray) -> tuple:
        x = lo + np.clip(u, 0.0, 1.0) * (hi - lo)
        return tuple(float(round(xi)) if v.kind == "integer" else float(xi)
                     for v, xi in zip(variables, x))

    def run(u: np.ndarray) -> Evaluation:
        x = point(u)
        if x in memo:
            return memo[x]
        try:
            out = evaluate(x)
            obj = float(out[objective])
            margins = tuple(c.margin(out) for c in constraints)
            ev = Evaluation(x, out, obj, margins, scales=tuple(c.scale(out) for c in constraints))
            if not math.isfinite(obj):
                ev.error = f"{objective} is not finite"
        except (ConfigError, KeyError, ArithmeticError, RuntimeError, ValueError) as exc:
            ev = Evaluation(x, {}, math.nan, tuple(-math.inf for _ in constraints),
                            f"{type(exc).__name__}: {exc}")
        memo[x] = ev
        history.append(ev)
        if progress is not None:
            progress(ev)
        return ev

    first_ok: list[float] = []

    def f(u):
        ev = run(u)
        if ev.error:
            return 1e6 if not first_ok else first_ok[0] + 1e3 * abs(first_ok[0])
        if not first_ok:
            first_ok.append(abs(ev.objective) or 1.0)
        return sign * ev.objective / first_ok[0]

    def g(u, i):
        ev = run(u)
        if ev.error:
            return -1.0
        return ev.margins[i] / constraints[i].scale(ev.outputs)

    cons = [{"type": "ineq", "fun": g, "args": (i,)} for i in range(len(constraints))]
    if x0 is None:
        u0 = np.full(len(variables), 0.5)
    else:
        u0 = np.clip((np.asarray(x0, dtype=float) - lo) / (hi - lo), 0.0, 1.0)
    bounds = [(0.0, 1.0)] * len(variables)
    if method == "cobyla":
        res = optimize.minimize(f, u0, method="COBYLA", constraints=cons, bounds=bounds,
                                options={"maxiter": maxiter, "rhobeg": 0.25})
    elif method == "slsqp":
        res = optimize.minimize(f, u0, method="SLSQP", constraints=cons, bounds=bounds,
                                options={"maxiter": maxiter, "eps": 1e-3})
    else:
        nlc = [optimize.NonlinearConstraint(lambda u, i=i: g(u, i), 0.0, np.inf)
               for i in range(len(constraints))]
        integrality = np.array([v.kind == "integer" for v in variables])
        res = optimize.differential_evolution(
            f, bounds, constraints=nlc, maxiter=maxiter, seed=seed, polish=False, tol=1e-3,
            popsize=max(4, 10 // max(1, len(variables))), init="sobol", x0=u0,
            integrality=integrality if integrality.any() else None)
    # COBYLA and SLSQP can stop on a point between evaluations: evaluate it too.
    run(np.asarray(res.x))
    feasible = [e for e in history if e.feasible]
    best = min(feasible, key=lambda e: sign * e.objective) if feasible else None
    ok = [e for e in history if not e.error]
    least = None
    binding: list[str] = []
    if best is None:
        if ok:
            least = min(ok, key=lambda e: sum(max(0.0, -m / c.scale(e.outputs))
                                              for m, c in zip(e.margins, constraints)))
            worst = min(range(len(constraints)),
                        key=lambda i: least.margins[i] / constraints[i].scale(least.outputs))
            binding = [constraints[worst].text]
            msg = (f"infeasible: no evaluated design meets every constraint; "
                   f"'{constraints[worst].text}' binds (at the least-infeasible design it misses "
                   f"by {-least.margins[worst]:.4g})")
        else:
            msg = "infeasible: every evaluation failed: " + (history[-1].error if history else "")
    else:
        binding = [c.text for c, m in zip(constraints, best.margins)
                   if m <= BINDING_TOL * c.scale(best.outputs)]
        for v, xi in zip(variables, best.x):  # a search bound that holds the optimum back
            if xi <= v.low + 1e-6 * (v.high - v.low):
                binding.append(f"{v.key} at its lower bound")
            elif xi >= v.high - 1e-6 * (v.high - v.low):
                binding.append(f"{v.key} at its upper bound")
        msg = f"optimum after {len(history)} evaluations ({method}: {res.message})"
    return DesignResult(tuple(variables), objective, sense, tuple(constraints), best, least,
                        history, binding, msg)


def design_toml(base: str, variables: tuple[Variable, ...], x: tuple, config, note: str) -> str:
    """A configuration that ``extends`` the base and sets the design (arrays of tables whole)."""
    from .units import SI_UNIT

    simple: dict[str, list[str]] = {}
    arrays: dict[str, str] = {}
    for v, xi in zip(variables, x):
        if "[" in v.key:
            section, rest = v.key.split(".", 1)
            arr = rest.split("[", 1)[0]
            arrays[f"{section}.{arr}"] = section
        else:
            section, _, key = v.key.rpartition(".")
            value = v.override(xi).split("=", 1)[1]
            simple.setdefault(section, []).append(f"{key} = {value}")
    lines = [f"# {line}" for line in note.splitlines()]
    lines.append(f'extends = "{base}"')
    for section, items in simple.items():
        lines += ["", f"[{section}]"] + items
    for dotted, section in arrays.items():
        arr = dotted.split(".", 1)[1]
        for layer in getattr(getattr(config, section), arr):
            lines += ["", f"[[{dotted}]]"]
            for fld in dataclasses.fields(layer):
                from .config.fields import spec_of

                spec, val = spec_of(fld), getattr(layer, fld.name)
                if spec.kind == "quantity":
                    lines.append(f'{fld.name} = "{val!r} {SI_UNIT[spec.dimension]}"')
                elif isinstance(val, str):
                    lines.append(f'{fld.name} = "{val}"')
                else:
                    lines.append(f"{fld.name} = {val!r}")
    return "\n".join(lines) + "\n"
