"""Registry of the model levels (``numerics.model``): one runner drives them all.

Every level implements the interface of ``cellsim.lumped.LumpedModel``: ``state``,
``derived``, ``current`` (set by the runner's current program), ``update_state()``
(idempotent), ``step(dt)``, ``feed_to_setpoint()``, ``tap()``, ``alloy_limit_broken()``,
``totals()``, ``checkpoint()`` / ``restore(data)``; field levels add ``reset_caches()``
and ``snapshot()``. A new level is a new entry here, not an ``if`` in the runner.
"""

from __future__ import annotations

from importlib import import_module

from .config.schema import Config

MODELS = {
    "lumped": "cellsim.lumped.model:LumpedModel",
    "axisymmetric": "cellsim.fields.axisymmetric:AxisymmetricModel",
    "3d": "cellsim.fields.threed:ThreeDModel",
}


def model_class(name: str) -> type:
    """The class of model level ``name`` (imported on first use)."""
    if name not in MODELS:
        raise KeyError(f"unknown model level {name!r}; known: {sorted(MODELS)}")
    module, cls = MODELS[name].split(":")
    return getattr(import_module(module), cls)


def make_model(config: Config):
    """The model of ``config.numerics.model``, built from ``config``."""
    return model_class(config.numerics.model)(config)
