"""Lumped heat balance of the pot through its lining (docs/model.md, "Heat").

The melt is one temperature T. Heat leaves by four paths, each a series of resistances:

* ``side``: four wall bands (beside the collector block and alloy, the electrolyte, the cathode
  metal, the gas space); the electrolyte band may carry a frozen ledge; the wall reaches
  half-way into the bottom and lid linings (a corner allowance);
* ``bottom``: film and collector block over the cavity footprint, then the bottom lining over the
  log-mean of the cavity and shell footprints, and the shell's whole plate outside;
* ``lid``: gas-space film, lid lining (as the bottom), less the rod penetrations;
* ``collectors``: conduction along the rods to the busbar clamps.

Outer faces lose heat by free convection and radiation to ambient, solved exactly for the
shell temperature. The ledge is the steady 1D freeze front: the melt delivers
h (T - T_liquidus) to the ledge face, and the ledge grows until the wall conducts exactly that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import thermo
from ..config.schema import Config
from ..kernels import roots
from ..units import STEFAN_BOLTZMANN

FACES = ("side", "bottom", "lid", "collectors")


@dataclass(frozen=True, slots=True)
class HeatLoss:
    """Heat losses by face [W], ledge thickness [m] and mean shell temperature [K]."""

    side: float
    bottom: float
    lid: float
    collectors: float
    ledge_thickness: float
    shell_temperature: float

    @property
    def total(self) -> float:
        return self.side + self.bottom + self.lid + self.collectors

    def by_face(self) -> dict[str, float]:
        return {face: getattr(self, face) for face in FACES}


_STATUS = {1: "no sign change on the bracket", 2: "no convergence in 100 iterations",
           3: "a residual that is not a number"}


def _root_failed(what: str, status: int, **inputs) -> RuntimeError:
    values = ", ".join(f"{k} = {v:.6g}" for k, v in inputs.items())
    return RuntimeError(f"lumped heat balance: the {what} has no root ({_STATUS[status]}; {values})")


def _surface(T_in: float, R_in: float, area: float, h: float, eps: float, T_amb: float):
    """Heat flow [W] and surface temperature [K] through R_in [K/W] into ambient: the face
    temperature Ts balances (T_in - Ts) / R_in against convection h (Ts - T_amb) and radiation
    eps sigma (Ts^4 - T_amb^4) over ``area`` (Brent's method to 1e-9 K, kernels/roots.py)."""
    Q, Ts, status = roots.surface_loss(T_in, R_in, area, h, eps * STEFAN_BOLTZMANN, T_amb,
                                       1e-9, 1e-12)
    if status:
        raise _root_failed("shell temperature", status, T_in=T_in, R_in=R_in, area=area)
    return Q, Ts


def _wall(layers, config: Config, height: float):
    """Conduction resistance [K/W] of the side lining over ``height`` and its outer area [m2]."""
    geo = config.geometry
    R, offset = 0.0, 0.0
    if geo.shape == "cylindrical":
        r = geo.inner_radius
        for layer in layers:
            R += math.log((r + layer.thickness) / r) / (2 * math.pi * layer.thermal_conductivity * height)
            r += layer.thickness
        return R, 2 * math.pi * r * height
    for layer in layers:  # rectangular: perimeter grows by 8x the offset
        mid = geo.perimeter + 8.0 * (offset + 0.5 * layer.thickness)
        R += layer.thickness / (layer.thermal_conductivity * height * mid)
        offset += layer.thickness
    return R, (geo.perimeter + 8.0 * offset) * height


def _planar(layers, area: float) -> float:
    return sum(layer.thickness / (layer.thermal_conductivity * area) for layer in layers)


def shell_footprint(config: Config) -> float:
    """Plan area of the outer shell [m2]: the cavity grown by the side-lining thickness."""
    geo = config.geometry
    t = sum(layer.thickness for layer in config.lining.side)
    if geo.shape == "cylindrical":
        return math.pi * (geo.inner_radius + t) ** 2
    return (geo.inner_length + 2 * t) * (geo.inner_width + 2 * t)


def cavity_height(config: Config) -> float:
    """Height from the top of the collector block to the lid [m], fixed by the initial stack."""
    geo = config.geometry
    return geo.anode_alloy_depth + geo.acd + geo.cathode_metal_depth + geo.freeboard


def heat_loss(config: Config, T: float, alloy_depth: float, cathode_depth: float,
              freeboard: float | None = None) -> HeatLoss:
    """Steady heat loss of the pot with the melt at T [K] and the given layer depths [m].

    ``freeboard`` is the gas space between the cathode metal and the lid [m]; by default the
    lid height of the initial stack minus the current layer depths (the lid does not move).
    """
    return HeatPaths(config, alloy_depth, cathode_depth, freeboard).loss(T)


def _fixed_paths(config: Config) -> tuple:
    """What :class:`HeatPaths` takes from the configuration alone: the bottom and lid
    linings' thicknesses [m], the electrolyte band (film and wall resistances [K/W], outer
    and inner areas [m2]), the bottom and the lid (resistance, outer area), the rods
    (conductance k A, cold-end temperature, length), the outside (convection, emissivity,
    ambient) and the electrolyte band's arguments of roots.pot_loss."""
    geo, lin, col = config.geometry, config.lining, config.collectors
    h_in, h_gas = lin.inside_heat_transfer, lin.gas_space_heat_transfer
    # Corners: the side wall is taken to reach half-way into the bottom and lid linings.
    bottom_lining = sum(layer.thickness for layer in lin.bottom)
    lid_lining = sum(layer.thickness for layer in lin.lid)
    height = geo.acd  # the electrolyte band: (film, wall, outer area, inner area)
    A_in = geo.perimeter * height
    R_wall, A_out = _wall(lin.side, config, height)
    salt = (1.0 / (h_in * A_in), R_wall, A_out, A_in)
    # Bottom and lid: the heat spreads from the cavity footprint to the shell's, so the
    # lining layers conduct over the log-mean of the two areas and the outer plate is the
    # shell's.
    area, outer = geo.area, shell_footprint(config)
    spread = (outer - area) / math.log(outer / area)
    R_bottom = 1.0 / (h_in * area) + col.bottom_thickness / (col.bottom_thermal_conductivity * area)
    R_bottom += _planar(lin.bottom, spread)
    bottom = (R_bottom, outer)
    rod_area = col.rod_count * math.pi * col.rod_diameter**2 / 4.0
    lid = (1.0 / (h_gas * (area - rod_area)) + _planar(lin.lid, spread - rod_area),
           outer - rod_area)
    rods = (col.rod_thermal_conductivity * rod_area, col.rod_cold_end_temperature,
            col.rod_length)
    outside = (lin.outside_convection, lin.shell_emissivity, lin.ambient_temperature)
    el = config.electrolyte
    salt_args = (*salt, h_in, el.liquidus, el.ledge_thermal_conductivity,
                 lin.outside_convection, lin.shell_emissivity * STEFAN_BOLTZMANN,
                 lin.ambient_temperature)
    return bottom_lining, lid_lining, salt, bottom, lid, rods, outside, salt_args


class HeatPaths:
    """The pot's heat paths at given layer depths [m]: the resistances that do not depend on
    the melt temperature, computed once, so the heat balance can try many temperatures
    (``loss(T)`` equals ``heat_loss(config, T, alloy_depth, cathode_depth, freeboard)``)."""

    __slots__ = ("config", "bands", "salt", "bottom", "lid", "rods", "outside", "_faces", "_salt_args")
    _fixed: tuple = (None,)  # (config, *_fixed_paths(config)) of the last configuration

    def __init__(self, config: Config, alloy_depth: float, cathode_depth: float,
                 freeboard: float | None = None):
        geo, lin, col = config.geometry, config.lining, config.collectors
        self.config = config
        fixed = HeatPaths._fixed
        if fixed[0] is not config:  # what depends on the configuration alone, once for it
            fixed = HeatPaths._fixed = (config, *_fixed_paths(config))
        _, bottom_lining, lid_lining, self.salt, self.bottom, self.lid, self.rods, \
            self.outside, self._salt_args = fixed
        if freeboard is None:
            freeboard = cavity_height(config) - alloy_depth - geo.acd - cathode_depth
        freeboard = max(freeboard, 0.0)
        h_in, h_gas = lin.inside_heat_transfer, lin.gas_space_heat_transfer
        bands = []  # (resistance from the melt to the shell [K/W], outer area [m2])
        for height, h in ((col.bottom_thickness + alloy_depth + 0.5 * bottom_lining, h_in),
                          (cathode_depth, h_in), (freeboard + 0.5 * lid_lining, h_gas)):
            R_wall, A_out = _wall(lin.side, config, height)
            bands.append((1.0 / (h * (config.geometry.perimeter * height)) + R_wall, A_out))
        self.bands = tuple(bands)
        # the arguments of roots.pot_loss (all faces in one kernel call; the same arithmetic
        # as one _surface per face)
        faces = (*self.bands, self.bottom, self.lid)
        self._faces = (np.array([f[0] for f in faces]), np.array([f[1] for f in faces]))

    def loss(self, T: float) -> HeatLoss:
        """Heat loss [W] by face, ledge and shell temperature with the melt at T [K] (one
        kernel call, roots.pot_loss: the same numbers as :meth:`loss_by_face`)."""
        Q, Ts, salt, ledge, T_salt, status, which = roots.pot_loss(T, *self._faces, *self._salt_args)
        if status:
            self.loss_by_face(T)  # raises the error of the face that failed, with its inputs
            raise _root_failed("heat balance", status, T=T, face=which)
        conductance, T_cold, length = self.rods
        rods = conductance * (T - T_cold) / length
        lower, upper, gas, bottom, lid = Q.tolist()
        T_lower, T_upper, T_gas = Ts.tolist()[:3]
        side = lower + salt + upper + gas
        shell = (T_lower + T_salt + T_upper + T_gas) / 4.0
        return HeatLoss(side=side, bottom=bottom, lid=lid, collectors=rods, ledge_thickness=ledge,
                        shell_temperature=shell)

    def balance_args(self, feed: float, T_feed: float) -> np.ndarray:
        """What :meth:`loss` and the feed's heating (``feed`` [kg/s] of scrap at T_feed [K],
        thermo.feed_heating) need besides the temperature and the faces, as the ``heat``
        array of ``kernels/roots.heat_balance`` (its layout there)."""
        conductance, T_cold, length = self.rods
        return np.array([*self._salt_args, conductance, T_cold, length, feed,
                         thermo.aluminium_enthalpy(T_feed), thermo.AL_MELTING_POINT,
                         thermo.AL_CP_SOLID_MEAN, thermo.T_REF, thermo.AL_H_LIQUID_AT_MP,
                         thermo.AL_CP_LIQUID], dtype=float)

    def loss_by_face(self, T: float) -> HeatLoss:
        """:meth:`loss`, one root per face from Python (the reference the kernel reproduces)."""
        h_out, eps, T_amb = self.outside
        (R_lower, A_lower), (R_upper, A_upper), (R_gas, A_gas) = self.bands
        lower, T_lower = _surface(T, R_lower, A_lower, h_out, eps, T_amb)
        salt, ledge, T_salt = self._salt_band(T)
        upper, T_upper = _surface(T, R_upper, A_upper, h_out, eps, T_amb)
        gas, T_gas = _surface(T, R_gas, A_gas, h_out, eps, T_amb)
        bottom, T_bottom = _surface(T, self.bottom[0], self.bottom[1], h_out, eps, T_amb)
        lid, T_lid = _surface(T, self.lid[0], self.lid[1], h_out, eps, T_amb)
        conductance, T_cold, length = self.rods
        rods = conductance * (T - T_cold) / length
        side = lower + salt + upper + gas
        shell = (T_lower + T_salt + T_upper + T_gas) / 4.0
        return HeatLoss(side=side, bottom=bottom, lid=lid, collectors=rods, ledge_thickness=ledge,
                        shell_temperature=shell)

    def _salt_band(self, T: float) -> tuple[float, float, float]:
        """Loss [W], ledge thickness [m] and shell temperature [K] of the electrolyte band."""
        lin, el = self.config.lining, self.config.electrolyte
        R_film, R_wall, A_out, A_in = self.salt
        Q, Ts = _surface(T, R_film + R_wall, A_out, lin.outside_convection,
                         lin.shell_emissivity, lin.ambient_temperature)
        T_hot_face = T - Q / (lin.inside_heat_transfer * A_in)
        if T_hot_face >= el.liquidus:
            return Q, 0.0, Ts
        # A ledge forms: its face sits at the liquidus and passes q = h (T - T_liq).
        q = lin.inside_heat_transfer * (T - el.liquidus)
        Q = q * A_in
        # The wall behind the ledge passes Q to ambient: its hot-face temperature (Brent, 1e-9 K).
        T_wall, status = roots.wall_behind_ledge(
            Q, R_wall, A_out, lin.outside_convection, lin.shell_emissivity * STEFAN_BOLTZMANN,
            lin.ambient_temperature, lin.ambient_temperature + 1e-6, el.liquidus, 1e-9, roots.EPS4)
        if status:
            raise _root_failed("wall temperature behind the ledge", status, Q=Q, R_wall=R_wall)
        ledge = el.ledge_thermal_conductivity * (el.liquidus - T_wall) / q
        Ts = _surface(T_wall, R_wall, A_out, lin.outside_convection, lin.shell_emissivity,
                      lin.ambient_temperature)[1]
        return Q, ledge, Ts
