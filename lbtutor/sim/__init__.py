"""The simulator: a deterministic discrete-event model of a load balancer and its servers.

Pure Python over simpy; it imports neither textual nor rich (a test enforces it). The names below
are loaded on first use, so importing one small module (`lbtutor.sim.config`, say, for the
command line's help) does not load simpy and the engine before the tutor's first frame.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_WHERE = {
    "ALGORITHMS": "balancers",
    "Balancer": "balancers",
    "make_balancer": "balancers",
    "ConfigError": "config",
    "ServerSpec": "config",
    "SimConfig": "config",
    "Simulation": "engine",
    "run": "engine",
    "Snapshot": "snapshot",
}

__all__ = [
    "ALGORITHMS",
    "Balancer",
    "ConfigError",
    "ServerSpec",
    "SimConfig",
    "Simulation",
    "Snapshot",
    "make_balancer",
    "run",
]

if TYPE_CHECKING:
    from lbtutor.sim.balancers import ALGORITHMS, Balancer, make_balancer
    from lbtutor.sim.config import ConfigError, ServerSpec, SimConfig
    from lbtutor.sim.engine import Simulation, run
    from lbtutor.sim.snapshot import Snapshot


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'lbtutor.sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lbtutor.sim.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
