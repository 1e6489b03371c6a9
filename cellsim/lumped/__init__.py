"""The lumped (0D) campaign model: fast, and the reference the field solvers are checked against."""

from .model import LEDGER_TERMS, CellState, Derived, LumpedModel

__all__ = ["LumpedModel", "CellState", "Derived", "LEDGER_TERMS"]
