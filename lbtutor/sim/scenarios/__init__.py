"""The scenario labs: one module per claim of the chapter, each a named `Scenario`.

`SCENARIOS` maps name -> Scenario. A scenario module defines `SCENARIO = Scenario(...)` and is
listed in `_MODULES`; modules are imported on first use so start-up stays fast.
"""

from __future__ import annotations

import importlib

from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun

# name -> module under lbtutor.sim.scenarios, in the chapter's order
_MODULES: dict[str, str] = {
    "lb-benefits": "lb_benefits",
    "tiers": "tiers",
    "long-lived": "long_lived",
    "heterogeneous": "heterogeneous",
    "hash-remap": "hash_remap",
    "ip-skew": "ip_skew",
    "lrt-oscillation": "lrt_oscillation",
    "herding": "herding",
    "slow-server": "slow_server",
    "slow-start": "slow_start",
    "l4-vs-l7": "l4_vs_l7",
    "dns-ttl": "dns_ttl",
    "health-check": "health_check",
    "black-hole": "black_hole",
    "gateway": "gateway",
    "retry-storm": "retry_storm",
    "aggregation": "aggregation",
    "vertical-vs-horizontal": "vertical_vs_horizontal",
    "autoscale": "autoscale",
    "sticky-sessions": "sticky_sessions",
    "lb-ha": "lb_ha",
}

_loaded: dict[str, Scenario] = {}


def names() -> list[str]:
    return list(_MODULES)


def get(name: str) -> Scenario:
    if name not in _MODULES:
        raise ScenarioError(f"unknown scenario {name!r}; choose one of: {', '.join(_MODULES) or 'none yet'}")
    if name not in _loaded:
        module = importlib.import_module(f"lbtutor.sim.scenarios.{_MODULES[name]}")
        _loaded[name] = module.SCENARIO
    return _loaded[name]


def all_scenarios() -> list[Scenario]:
    return [get(n) for n in _MODULES]


def run_scenario(name: str, overrides: dict | None = None, seed: int = 1) -> dict:
    """Headless: build, run to the end, return {"scenario", "seed", "params", "metrics", "timeline"}."""
    return get(name).build(overrides, seed).run()


__all__ = [
    "Metric", "Pane", "Param", "Scenario", "ScenarioError", "ScenarioRun",
    "all_scenarios", "get", "names", "run_scenario",
]
