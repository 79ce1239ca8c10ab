"""The alarm rules shipped for a data-centre rack (docs/alarms.md explains each limit).

Climate limits follow ASHRAE TC 9.9 class A1 (2021): inlet air recommended 18–27 °C, allowable
15–32 °C; humidity allowable 8–80 % RH (recommended ≤ 60 %); dew point recommended ≤ 15 °C,
allowable ≤ 17 °C. Residual-current levels are fractions of the 30 mA RCBO rating (warning at a
third, critical at half of IΔn — an RCBO may trip from 50 %), so the warning comes well before any
trip; the RCBO trip itself is protection's business, not an alarm's.
"""

from __future__ import annotations

from typing import Any, Final

from smartpdu.config.alarms import AlarmRuleConfig

__all__ = ["DEFAULT_RULES"]


def _r(**kw: Any) -> AlarmRuleConfig:
    return AlarmRuleConfig.model_validate(kw)


_INLET = ["bottom", "front", "inlet"]
_EXHAUST = ["top", "rear", "outlet"]

DEFAULT_RULES: Final[tuple[AlarmRuleConfig, ...]] = (
    # -- load ------------------------------------------------------------------------------------
    _r(id="phase-load", level="phase", metric="load_pct", high_warning=80, high_critical=90,
       hysteresis=5, on_delay_s=5, off_delay_s=10,
       description="Inlet phase current in % of the inlet rating (80 % rule)"),
    _r(id="branch-load", level="branch", metric="load_pct", high_warning=80, high_critical=90,
       hysteresis=5, on_delay_s=5, off_delay_s=10,
       description="Branch current in % of its breaker rating"),
    _r(id="outlet-load", level="outlet", metric="load_pct", high_warning=80, high_critical=95,
       hysteresis=5, on_delay_s=5, off_delay_s=10,
       description="Outlet current in % of the outlet rating"),
    # -- power quality (inlet phases) ------------------------------------------------------------
    _r(id="phase-thd-u", level="phase", metric="thd_u_pct", high_warning=5, high_critical=8,
       hysteresis=0.5, on_delay_s=10, off_delay_s=30,
       description="Voltage THD (EN 50160: 8 % limit)"),
    _r(id="phase-thd-i", level="phase", metric="thd_i_pct", high_warning=30, high_critical=50,
       hysteresis=3, on_delay_s=30, off_delay_s=30,
       description="Current THD of the phase (non-PFC loads, neutral heating)"),
    _r(id="phase-pf", level="phase", metric="pf", low_warning=0.8, low_critical=0.6,
       hysteresis=0.03, on_delay_s=60, off_delay_s=60,
       description="True power factor of the phase (null at no load: no alarm)"),
    _r(id="phase-crest", level="phase", metric="crest_factor", high_warning=3.0,
       high_critical=4.0, hysteresis=0.2, on_delay_s=30, off_delay_s=30,
       description="Current crest factor of the phase"),
    # -- residual current (RCM) ------------------------------------------------------------------
    _r(id="inlet-residual", level="inlet", metric="residual_ma", high_warning=10,
       high_critical=15, hysteresis=1, on_delay_s=10, off_delay_s=30,
       event_code="RESIDUAL_CURRENT_HIGH",
       description="Inlet residual current (warning 1/3, critical 1/2 of 30 mA)"),
    _r(id="branch-residual", level="branch", metric="residual_ma", high_warning=10,
       high_critical=15, hysteresis=1, on_delay_s=10, off_delay_s=30,
       event_code="RESIDUAL_CURRENT_HIGH",
       description="Branch residual current, before the 30 mA RCBO can trip (≥ 15 mA)"),
    _r(id="outlet-residual", level="outlet", metric="residual_ma", high_warning=3.5,
       high_critical=10, hysteresis=0.5, on_delay_s=10, off_delay_s=30,
       event_code="RESIDUAL_CURRENT_HIGH",
       description="Outlet residual current where monitored per outlet: above the 3.5 mA "
                   "protective-conductor limit of pluggable equipment (IEC 62368-1), critical at "
                   "a third of a 30 mA RCBO"),
    # -- terminals -------------------------------------------------------------------------------
    _r(id="terminal-temperature", level="outlet", metric="terminal_temp_c", high_warning=55,
       high_critical=65, hysteresis=3, on_delay_s=10, off_delay_s=60,
       event_code="TEMPERATURE_HIGH",
       description="Outlet terminal temperature, below protection's 70 °C derate / 90 °C trip"),
    # -- climate (ASHRAE A1) ---------------------------------------------------------------------
    _r(id="inlet-temperature-high", level="sensor", metric="value", sensor_kind="temperature",
       positions=_INLET, high_warning=27, high_critical=32, hysteresis=0.5, on_delay_s=60,
       off_delay_s=60, event_code="TEMPERATURE_HIGH",
       description="Rack inlet air above ASHRAE A1 recommended (27 °C) / allowable (32 °C)"),
    _r(id="inlet-temperature-low", level="sensor", metric="value", sensor_kind="temperature",
       positions=_INLET, low_warning=18, low_critical=15, hysteresis=0.5, on_delay_s=60,
       off_delay_s=60,
       description="Rack inlet air below ASHRAE A1 recommended (18 °C) / allowable (15 °C)"),
    _r(id="exhaust-temperature", level="sensor", metric="value", sensor_kind="temperature",
       positions=_EXHAUST, high_warning=40, high_critical=45, hysteresis=1, on_delay_s=60,
       off_delay_s=60, event_code="TEMPERATURE_HIGH",
       description="Rack exhaust (top/rear) air temperature"),
    _r(id="rack-temperature-rate", level="sensor", metric="value", sensor_kind="temperature",
       rate_per_min=0.33, rate_window_s=300, on_delay_s=0, off_delay_s=60,
       description="Air temperature changing faster than 20 K/h (ASHRAE A1 limit)"),
    _r(id="temperature-gradient", level="rack", metric="temp_gradient_c", high_warning=15,
       high_critical=20, hysteresis=1, on_delay_s=120, off_delay_s=120,
       description="Top/rear minus bottom/front air temperature (airflow, recirculation)"),
    _r(id="humidity-high", level="sensor", metric="value", sensor_kind="humidity",
       high_warning=60, high_critical=80, hysteresis=2, on_delay_s=60, off_delay_s=60,
       event_code="HUMIDITY_HIGH",
       description="Relative humidity above ASHRAE A1 recommended 60 % / allowable 80 %"),
    _r(id="humidity-low", level="sensor", metric="value", sensor_kind="humidity",
       low_warning=20, low_critical=8, hysteresis=2, on_delay_s=60, off_delay_s=60,
       description="Relative humidity low (electrostatic discharge risk; A1 allowable 8 %)"),
    _r(id="dew-point", level="sensor", metric="value", sensor_kind="dew_point",
       high_warning=15, high_critical=17, hysteresis=0.5, on_delay_s=60, off_delay_s=60,
       description="Rack air dew point above ASHRAE A1 recommended 15 °C / allowable 17 °C"),
    _r(id="dew-point-margin", level="rack", metric="dew_point_margin_c", low_warning=5,
       low_critical=2, hysteresis=0.5, on_delay_s=30, off_delay_s=60,
       event_code="DEW_POINT_RISK",
       description="Coldest rack temperature minus dew point: condensation risk"),
    _r(id="voc", level="sensor", metric="value", sensor_kind="voc", high_warning=1000,
       high_critical=3000, hysteresis=100, on_delay_s=30, off_delay_s=60, event_code="VOC_HIGH",
       description="Total VOC (ppb): air quality, solvent or smouldering material"),
)  # fmt: skip
