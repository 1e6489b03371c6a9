"""Lumped heat paths calibrated on one steady solve of the axisymmetric field model.

The lining estimate of :mod:`cellsim.lumped.thermal` treats each face as 1D resistances in
series; the 2D r-z field loses more through the corners, the shell footprint and the rods
(the 3 kA pot: +18 % side, +36 % lid at 750 degC). With ``numerics.heat_paths = "field"``
the lumped level multiplies each face's lining loss by a *shape factor*

    f_face = Q_face(field) / Q_face(lining)      (both at the field's melt temperature and depths)

taken from the steady start of the axisymmetric model (the same solve a field campaign starts
from: current and heat iterated to the set point, heater on if the pot needs it). A second
steady solve with the cathode metal a quarter of the freeboard deeper (the gas space shorter
by as much, the lid and the rods' length beyond it unchanged, as a field campaign remeshes
between taps) gives each factor's slope in the height of the metal top above the collector
block (anode alloy + ACD + cathode metal: the lid height less the gas space): as the metal
rises towards the lid, the field loses more through the lid, the rods and the upper wall (3 kA
pot: +30 W rods, +14 W lid, +14 W side over a 2-day tap cycle) than the 1D estimate, whose lid
and rod paths do not see the depth. The metal top, not the cathode depth alone, is the
variable: the anode alloy grows over a campaign too (3 kA pot: +11 mm in 69 days), which raises
the metal as cathode metal would; with the slope in the cathode depth alone the lumped heater
drifted to 25 W (2 %) below the field's by the end of the 3 kA campaign (rods, lid and side each
losing less than the field's). Without the slope the lumped heater ran 4-5 % below the field's. The
collectors' factor is taken after the rods' own Joule heat that leaves at the clamps (added
by the lumped model afterwards) and with the Joule heat that the field generates in the rods
beyond the lid (outside its domain, inside the lumped pot's), so the heater power matches. The ledge-to-wall
relation is left to the lumped level's 1D freeze front (ratio 1): the calibration pot runs
with its liquidus 100 K below the set point, so that the steady start never sits on a ledge
state (near the liquidus the coupled start may not settle) and the factors describe the wall. Factors are what the lumped level then applies at every
temperature and depth: corrections of the lining estimate's shape, not of its physics (the
outer convection and radiation stay nonlinear in the shell temperature).

Cache: two field solves per *thermal configuration*: the SHA-256 of every section that enters
the field's steady start (geometry, lining, collectors, electrolyte, metals, kinetics,
operation, scrap feed, grid resolution); ``meta``, ``schedule``, ``product``, ``footprint``
and the other numerics do not enter. Factors are kept in memory and in
``$CELLSIM_CACHE_DIR/heat-paths/<hash>.json`` (default ``~/.cache/cellsim``), so the workers
of a sweep share them; change the geometry and the hash changes, so they are recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..config.schema import Config
from . import electrical, thermal

VERSION = 9  # bump when the calibration's definition or the r-z grid changes (invalidates the disk cache)
FACTOR_KEYS = ("side", "bottom", "lid", "collectors", "ledge")
_MEMORY: dict[str, dict] = {}


def cache_dir() -> Path:
    root = os.environ.get("CELLSIM_CACHE_DIR") or Path.home() / ".cache" / "cellsim"
    return Path(root) / "heat-paths"


def thermal_key(config: Config) -> str:
    """Content hash of what the field's steady start depends on (see the module docstring)."""
    parts = [f"v{VERSION}", config.numerics.resolution]
    for name in ("operation", "geometry", "collectors", "lining", "electrolyte", "anode_alloy",
                 "cathode_metal", "kinetics", "scrap"):
        parts.append(repr(getattr(config, name)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


NO_LEDGE_MARGIN = 100.0  # K: the calibration pot's liquidus sits this far below the set point


def _plain(config: Config) -> Config:
    """The calibration pot: the field level, lining heat paths, and a liquidus far enough below
    the set point that no ledge forms (the shape factors are the wall's; the ledge itself is
    the lumped level's 1D freeze front, and a start near the liquidus may not settle)."""
    numerics = dataclasses.replace(config.numerics, model="axisymmetric", heat_paths="lining")
    liquidus = min(config.electrolyte.liquidus, config.operation.temperature - NO_LEDGE_MARGIN)
    electrolyte = dataclasses.replace(config.electrolyte, liquidus=liquidus)
    return dataclasses.replace(config, numerics=numerics, electrolyte=electrolyte)


def _field_pot(cfg: Config):
    """(cell, note): the axisymmetric cell after its steady start. A start that has not settled
    to the field level's tight test (1e-6 of the terminal voltage) within its iterations is kept
    with a note: the shape factors move far less than the voltage between the last iterates."""
    from ..cell import Cell
    from ..fields.axisymmetric import FieldElectrical, FieldSpecies, FieldThermal, PotMesh
    from ..fields.solvers import ConvergenceError
    from ..physics import Physics

    class CalibrationThermal(FieldThermal):
        note = ""

        def start(self, cell, layers, electrical_provider):
            try:
                super().start(cell, layers, electrical_provider)
            except ConvergenceError as exc:
                self.note = str(exc)

    mesh = PotMesh(cfg)  # the axisymmetric level with the thermal provider above
    cell = Cell(cfg, Physics(FieldElectrical(cfg, mesh), CalibrationThermal(cfg, mesh),
                             FieldSpecies(cfg, mesh), mesh))
    return cell, cell.physics.thermal.note


def _solve(config: Config, cathode_depth: float | None = None,
           alloy_depth: float | None = None) -> dict:
    """Shape factors from the field's steady start, with the cathode metal at ``cathode_depth``
    and the anode alloy at ``alloy_depth`` [m] (default: the configured depths; the lid and the
    rods' length beyond it stay, as in a field campaign's remesh,
    :func:`cellsim.fields.remap.layer_config`)."""
    from ..fields.remap import layer_config

    cfg = _plain(config)
    geo = cfg.geometry
    pot = cfg if cathode_depth is None and alloy_depth is None else layer_config(
        cfg, geo.anode_alloy_depth if alloy_depth is None else alloy_depth,
        geo.cathode_metal_depth if cathode_depth is None else cathode_depth)
    field, note = _field_pot(pot)
    d = field.derived
    T = float(d.temperature)
    # the lumped side at the same depths, with the configured geometry (as the lumped level)
    lining = thermal.heat_loss(cfg, T, float(d.alloy_depth), float(d.cathode_depth))
    R = electrical.resistances(cfg, T, float(d.alloy_depth), float(d.cathode_depth))
    rods_out = 0.5 * field.current**2 * R.rods  # as the lumped model adds it
    # The lumped level books all of the collectors' Joule heat inside the pot; the field books
    # the rods' part beyond the lid outside it. That difference leaves by the collectors path.
    V = electrical.voltage_breakdown(cfg, field.current, T, R, d.a_al_alloy, d.a_al_cathode)
    joule_outside = field.current * (sum(V.values()) - V["external"]) - d.joule_heat
    return {
        "cathode_depth": float(d.cathode_depth),
        "metal_top": metal_top(cfg, float(d.alloy_depth), float(d.cathode_depth)),
        "side": d.heat.side / lining.side,
        "bottom": d.heat.bottom / lining.bottom,
        "lid": d.heat.lid / lining.lid,
        "collectors": (d.heat.collectors + joule_outside - rods_out) / lining.collectors,
        "ledge": (d.heat.ledge_thickness / lining.ledge_thickness
                  if d.heat.ledge_thickness > 0 and lining.ledge_thickness > 0 else 1.0),
        "temperature": T,
        "heater_power": float(d.heater_power),
        "note": note,
        "field_losses": d.heat.by_face(),
        "lining_losses": lining.by_face(),
    }


def metal_top(config: Config, alloy_depth: float, cathode_depth: float) -> float:
    """Height of the cathode metal's top above the collector block [m] (the variable of the
    factors' slopes): anode alloy, the configured ACD, cathode metal."""
    return alloy_depth + config.geometry.acd + cathode_depth


DEPTH_SHIFT = 0.25  # the second solve: cathode metal deeper by this fraction of the freeboard


def field_factors(config: Config) -> dict:
    """Shape factors of ``config`` (uncached) from two steady field solves: at the configured
    cathode-metal depth and with the metal a quarter of the freeboard deeper (the gas space
    shorter by as much, as between two taps). ``slopes`` holds each face's change of factor per
    metre of rise of the metal top (:func:`metal_top`), which :func:`calibrated` applies
    linearly."""
    out = _solve(config)
    bad = [k for k in FACTOR_KEYS if not (0 < out[k] < 1e3)]
    if bad:
        raise RuntimeError(f"heat-path calibration of '{config.meta.name}': factor(s) {bad} "
                           f"are not positive and finite ({[out[k] for k in bad]})")
    out["slopes"] = {k: 0.0 for k in FACTOR_KEYS}
    shift = DEPTH_SHIFT * config.geometry.freeboard
    if shift > 1e-3:
        deeper = _solve(config, out["cathode_depth"] + shift)
        dz = deeper["metal_top"] - out["metal_top"]
        if dz > 1e-4 and all(0 < deeper[k] < 1e3 for k in FACTOR_KEYS):
            out["slopes"] = {k: (deeper[k] - out[k]) / dz for k in FACTOR_KEYS if k != "ledge"}
            out["slopes"]["ledge"] = 0.0  # the ledge is the lumped level's 1D freeze front
            out["deeper"] = {k: deeper[k] for k in ("cathode_depth", "metal_top", "field_losses",
                                                     "lining_losses", "note")}
    return out


_KEYS: dict[int, tuple[Config, str]] = {}  # id -> (config, key): the hash once per config object


def factors(config: Config) -> dict:
    """Shape factors of ``config`` (memory, then disk cache, then the field solves)."""
    known = _KEYS.get(id(config))
    if known is not None and known[0] is config:
        key = known[1]
    else:
        key = thermal_key(config)
        if len(_KEYS) > 64:
            _KEYS.clear()
        _KEYS[id(config)] = (config, key)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text())
        if data.get("version") == VERSION:
            _MEMORY[key] = data
            return data
    except (OSError, ValueError):
        pass
    data = dict(field_factors(config), version=VERSION, key=key)
    _MEMORY[key] = data
    try:  # atomic: concurrent workers may write the same entry
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: the memory cache still serves this process
    return data


def shape_factors(config: Config, top: float | None = None, k: dict | None = None) -> dict[str, float]:
    """Each face's shape factor with the metal top (:func:`metal_top`) at ``top`` [m]: linear
    in that height through the two calibration solves (held above a tenth of the factor at the
    configured depths, so that a far extrapolation never turns a loss negative). ``k``: the
    factors of ``config`` when the caller has them already."""
    if k is None:
        k = factors(config)
    if top is None:
        return {f: k[f] for f in FACTOR_KEYS}
    dz = top - k["metal_top"]
    return {f: max(k[f] + k["slopes"][f] * dz, 0.1 * k[f]) for f in FACTOR_KEYS}


def calibrated(config: Config, loss: thermal.HeatLoss, top: float | None = None,
               k: dict | None = None) -> thermal.HeatLoss:
    """``loss`` (the lining estimate, with the metal top at ``top`` [m], :func:`metal_top`) with
    each face scaled by the field's shape factor at that height (``k``: the factors of
    ``config`` when the caller has them already)."""
    k = shape_factors(config, top, k)
    return thermal.HeatLoss(side=loss.side * k["side"], bottom=loss.bottom * k["bottom"],
                            lid=loss.lid * k["lid"], collectors=loss.collectors * k["collectors"],
                            ledge_thickness=loss.ledge_thickness * k["ledge"],
                            shell_temperature=loss.shell_temperature)
