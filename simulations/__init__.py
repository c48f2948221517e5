"""Discrete-event simulation of a hotline on the real router engine: what-ifs, staffing, Erlang C."""

from simulations.distributions import Constant, Empirical, Exponential, Lognormal
from simulations.results import mmc_theory, results
from simulations.runner import Simulation, quiet_router_logs
from simulations.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "Constant",
    "Empirical",
    "Exponential",
    "Lognormal",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "load_scenario",
    "mmc_theory",
    "parse_scenario",
    "quiet_router_logs",
    "results",
]
