"""The simulator: a deterministic discrete-event model of a load balancer and its servers.

Pure Python over simpy; it imports neither textual nor rich (a test enforces it).
"""

from lbtutor.sim.balancers import ALGORITHMS, Balancer, make_balancer
from lbtutor.sim.config import ConfigError, ServerSpec, SimConfig
from lbtutor.sim.engine import Simulation, run
from lbtutor.sim.snapshot import Snapshot

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
