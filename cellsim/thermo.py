"""Thermochemistry of the feed: enthalpy of aluminium from 25 degC (NIST-JANAF [Chase1998]).

Numbers [C] from JANAF (validation/feed_enthalpy.py recomputes them): Tm = 933.45 K, latent heat 10.71 kJ/mol = 397 kJ/kg,
cp(liquid) = 31.75 J/(mol K) = 1.177 kJ/(kg K), and 295 kWh/t for solid at 25 degC to liquid
at the melting point. The mean solid heat capacity follows from those:
(295 kWh/t - 397 kJ/kg) / (Tm - 298.15 K) = 1.047 kJ/(kg K).
"""

from __future__ import annotations

T_REF = 298.15  # K
AL_MELTING_POINT = 933.45  # K [C] JANAF
AL_LATENT_HEAT = 397.0e3  # J/kg [C] JANAF, 10.71 kJ/mol
AL_CP_LIQUID = 1177.0  # J/(kg K) [C] JANAF, 31.75 J/(mol K)
AL_H_LIQUID_AT_MP = 295.0 * 3.6e3  # J/kg from 25 degC [C] JANAF (295 kWh/t)
AL_CP_SOLID_MEAN = (AL_H_LIQUID_AT_MP - AL_LATENT_HEAT) / (AL_MELTING_POINT - T_REF)


def aluminium_enthalpy(T: float) -> float:
    """Enthalpy of Al at T [K] relative to solid at 25 degC [J/kg] (liquid above Tm)."""
    if T < AL_MELTING_POINT:
        return AL_CP_SOLID_MEAN * (T - T_REF)
    return AL_H_LIQUID_AT_MP + AL_CP_LIQUID * (T - AL_MELTING_POINT)


def feed_heating(T_feed: float, T_melt: float) -> float:
    """Heat needed to bring 1 kg of metal from T_feed (solid) to liquid at T_melt [J/kg].

    The scrap is treated as Al (its alloying elements are a few percent) [E].
    """
    return aluminium_enthalpy(T_melt) - aluminium_enthalpy(T_feed)
