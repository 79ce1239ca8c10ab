"""Digital twin of a dual-feed rack: physics that produces the samples real hardware would.

:class:`RackTwin` implements :class:`smartpdu.hardware.RackHardware`; scenarios drive it through
its injection methods and :func:`run_scenario`.
"""

from smartpdu.twin.breakers import PduBreakers, Trip
from smartpdu.twin.controller_power import select_power_source
from smartpdu.twin.environment import SENSOR_FAULTS, Environment
from smartpdu.twin.levers import LeverBank
from smartpdu.twin.loads import DeviceLoad, inrush_pulse_template, non_pfc_template
from smartpdu.twin.physical_log import TwinEvent
from smartpdu.twin.psu import PsuBank, effective_shares, humidity_leakage_factor
from smartpdu.twin.rack import RackTwin
from smartpdu.twin.relay import RELAY_FAULTS, RelayBank
from smartpdu.twin.runner import RunSummary, run_scenario
from smartpdu.twin.scenario import Scenario, ScenarioError, load_scenario
from smartpdu.twin.supply import HARMONICS, FeedState, Supply, star_point_matrix
from smartpdu.twin.thermal import RackAirModel, terminal_temperature_step

__all__ = [
    "HARMONICS",
    "RELAY_FAULTS",
    "SENSOR_FAULTS",
    "DeviceLoad",
    "Environment",
    "FeedState",
    "LeverBank",
    "PduBreakers",
    "PsuBank",
    "RackAirModel",
    "RackTwin",
    "RelayBank",
    "RunSummary",
    "Scenario",
    "ScenarioError",
    "Supply",
    "Trip",
    "TwinEvent",
    "effective_shares",
    "humidity_leakage_factor",
    "inrush_pulse_template",
    "load_scenario",
    "non_pfc_template",
    "run_scenario",
    "select_power_source",
    "star_point_matrix",
    "terminal_temperature_step",
]
