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

from scipy.optimize import brentq

from ..config.schema import Config
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


def _surface(T_in: float, R_in: float, area: float, h: float, eps: float, T_amb: float):
    """Heat flow [W] and surface temperature [K] through R_in [K/W] into ambient."""

    def residual(Ts):
        out = area * (h * (Ts - T_amb) + eps * STEFAN_BOLTZMANN * (Ts**4 - T_amb**4))
        return (T_in - Ts) / R_in - out

    if T_in <= T_amb:
        return 0.0, T_amb
    Ts = brentq(residual, T_amb, T_in, xtol=1e-9, rtol=1e-12)
    return (T_in - Ts) / R_in, Ts


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


def _band(config: Config, T: float, height: float, h_in: float):
    lin = config.lining
    R_wall, A_out = _wall(lin.side, config, height)
    A_in = config.geometry.perimeter * height
    return _surface(T, 1.0 / (h_in * A_in) + R_wall, A_out, lin.outside_convection,
                    lin.shell_emissivity, lin.ambient_temperature)


def _salt_band(config: Config, T: float) -> tuple[float, float, float]:
    """Loss [W], ledge thickness [m] and shell temperature [K] of the electrolyte band."""
    lin, el = config.lining, config.electrolyte
    height = config.geometry.acd
    A_in = config.geometry.perimeter * height
    R_wall, A_out = _wall(lin.side, config, height)
    Q, Ts = _surface(T, 1.0 / (lin.inside_heat_transfer * A_in) + R_wall, A_out,
                     lin.outside_convection, lin.shell_emissivity, lin.ambient_temperature)
    T_hot_face = T - Q / (lin.inside_heat_transfer * A_in)
    if T_hot_face >= el.liquidus:
        return Q, 0.0, Ts
    # A ledge forms: its face sits at the liquidus and passes q = h (T - T_liq).
    q = lin.inside_heat_transfer * (T - el.liquidus)
    Q = q * A_in

    def wall_mismatch(T_wall):
        return _surface(T_wall, R_wall, A_out, lin.outside_convection, lin.shell_emissivity,
                        lin.ambient_temperature)[0] - Q

    T_wall = brentq(wall_mismatch, lin.ambient_temperature + 1e-6, el.liquidus, xtol=1e-9)
    ledge = el.ledge_thermal_conductivity * (el.liquidus - T_wall) / q
    Ts = _surface(T_wall, R_wall, A_out, lin.outside_convection, lin.shell_emissivity,
                  lin.ambient_temperature)[1]
    return Q, ledge, Ts


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
    geo, lin, col = config.geometry, config.lining, config.collectors
    if freeboard is None:
        freeboard = cavity_height(config) - alloy_depth - geo.acd - cathode_depth
    freeboard = max(freeboard, 0.0)
    h_in, h_gas = lin.inside_heat_transfer, lin.gas_space_heat_transfer
    # Corners: the side wall is taken to reach half-way into the bottom and lid linings.
    bottom_lining = sum(layer.thickness for layer in lin.bottom)
    lid_lining = sum(layer.thickness for layer in lin.lid)
    lower, T_lower = _band(config, T, col.bottom_thickness + alloy_depth + 0.5 * bottom_lining, h_in)
    salt, ledge, T_salt = _salt_band(config, T)
    upper, T_upper = _band(config, T, cathode_depth, h_in)
    gas_height = freeboard + 0.5 * lid_lining
    gas, T_gas = _band(config, T, gas_height, h_gas)

    # Bottom and lid: the heat spreads from the cavity footprint to the shell's, so the lining
    # layers conduct over the log-mean of the two areas and the outer plate is the shell's.
    area, outer = geo.area, shell_footprint(config)
    spread = (outer - area) / math.log(outer / area)
    R_bottom = 1.0 / (h_in * area) + col.bottom_thickness / (col.bottom_thermal_conductivity * area)
    R_bottom += _planar(lin.bottom, spread)
    bottom, T_bottom = _surface(T, R_bottom, outer, lin.outside_convection, lin.shell_emissivity,
                                lin.ambient_temperature)
    rod_area = col.rod_count * math.pi * col.rod_diameter**2 / 4.0
    lid, T_lid = _surface(T, 1.0 / (h_gas * (area - rod_area)) + _planar(lin.lid, spread - rod_area),
                          outer - rod_area, lin.outside_convection, lin.shell_emissivity,
                          lin.ambient_temperature)
    rods = col.rod_thermal_conductivity * rod_area * (T - col.rod_cold_end_temperature) / col.rod_length
    side = lower + salt + upper + gas
    shell = (T_lower + T_salt + T_upper + T_gas) / 4.0
    loss = HeatLoss(side=side, bottom=bottom, lid=lid, collectors=rods, ledge_thickness=ledge,
                    shell_temperature=shell)
    return loss
