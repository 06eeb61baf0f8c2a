"""The config panel: the nginx, HAProxy and Envoy lines that select the lab's algorithm.

Each line is what you would write in that balancer's configuration; where a balancer has no
equivalent, the panel says so plainly and names the closest thing it has.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from lbtutor.sim.balancers import ALGORITHMS


@dataclass(frozen=True)
class ConfigLine:
    config: str | None  # None: this balancer has no equivalent
    note: str = ""


BALANCERS = ("nginx", "HAProxy", "Envoy")

CONFIG_LINES: dict[str, dict[str, ConfigLine]] = {
    "random": {
        "nginx": ConfigLine("random;", "pure random choice (nginx 1.15.1 and later)"),
        "HAProxy": ConfigLine("balance random(1)", "plain `balance random` draws twice: power of two"),
        "Envoy": ConfigLine("lb_policy: RANDOM"),
    },
    "round-robin": {
        "nginx": ConfigLine("(no directive)", "round robin is nginx's default for an upstream"),
        "HAProxy": ConfigLine("balance roundrobin"),
        "Envoy": ConfigLine("lb_policy: ROUND_ROBIN", "Envoy's default"),
    },
    "weighted-round-robin": {
        "nginx": ConfigLine("server s1 weight=4;", "smooth weighted round robin, as the lab does it"),
        "HAProxy": ConfigLine("balance roundrobin", "with `server s1 … weight 4`"),
        "Envoy": ConfigLine("lb_policy: ROUND_ROBIN", "with load_balancing_weight on each endpoint"),
    },
    "least-connections": {
        "nginx": ConfigLine("least_conn;"),
        "HAProxy": ConfigLine("balance leastconn"),
        "Envoy": ConfigLine(
            "lb_policy: LEAST_REQUEST",
            "samples 2 hosts by default (power of two); newer Envoy can set selection_method: FULL_SCAN",
        ),
    },
    "weighted-least-connections": {
        "nginx": ConfigLine(
            "least_conn;",
            "with `server s1 weight=4;`: connections per weight, ties broken its own way "
            "(weighted round robin, where the lab picks the heavier server)",
        ),
        "HAProxy": ConfigLine("balance leastconn", "with `weight 4` on servers: leastconn honours weights"),
        "Envoy": ConfigLine(
            "lb_policy: LEAST_REQUEST",
            "unequal weights: weight / (active + 1)^active_request_bias",
        ),
    },
    "ip-hash": {
        "nginx": ConfigLine("ip_hash;", "keys on the first three octets of an IPv4 address"),
        "HAProxy": ConfigLine("balance source", "hash of the source address over the servers' weights"),
        "Envoy": ConfigLine(
            None,
            "no hash-mod-N: RING_HASH or MAGLEV with hash_policy connection_properties source_ip",
        ),
    },
    "least-response-time": {
        "nginx": ConfigLine(
            None, "`least_time header;` exists in NGINX Plus only, not in open-source nginx",
        ),
        "HAProxy": ConfigLine(None, "no response-time balancing; leastconn is the closest"),
        "Envoy": ConfigLine(None, "none built in; LEAST_REQUEST plus outlier detection is the closest"),
    },
    "power-of-two-choices": {
        "nginx": ConfigLine("random two least_conn;"),
        "HAProxy": ConfigLine("balance random(2)", "two draws is HAProxy's default for `balance random`"),
        "Envoy": ConfigLine("lb_policy: LEAST_REQUEST", "choice_count defaults to 2"),
    },
    "consistent-hash": {
        "nginx": ConfigLine("hash $remote_addr consistent;", "ketama ring"),
        "HAProxy": ConfigLine("balance source", "with `hash-type consistent`"),
        "Envoy": ConfigLine("lb_policy: RING_HASH", "or MAGLEV; with a hash_policy on the route"),
    },
    "peak-ewma": {
        "nginx": ConfigLine(None, "no equivalent"),
        "HAProxy": ConfigLine(None, "no equivalent"),
        "Envoy": ConfigLine(None, "no equivalent; Linkerd and Finagle balance this way"),
    },
}


class ConfigPanel(Static):
    """What to write in a real balancer to get the algorithm the lab is running."""

    DEFAULT_CSS = """
    ConfigPanel {
        height: auto;
        padding: 0 1;
        border: round $primary 60%;
        border-title-color: $text-primary;
        border-title-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.border_title = "In a real balancer"
        self.algorithm: str | None = None

    def show(self, algorithm: str) -> None:
        if algorithm == self.algorithm:
            return
        self.algorithm = algorithm
        self.update(config_content(algorithm))


def config_content(algorithm: str) -> Content:
    cls = ALGORITHMS.get(algorithm)
    parts: list = [(algorithm, "bold"), "\n", (cls.summary if cls else "", "italic"), "\n"]
    for balancer in BALANCERS:
        line = CONFIG_LINES.get(algorithm, {}).get(balancer, ConfigLine(None, "no entry"))
        parts.append(("\n" + f"{balancer:<8}", "bold"))
        if line.config is None:
            parts.append(("✗ no equivalent", "bold $text-warning"))
        else:
            parts.append((line.config, "bold $text-success"))
        if line.note:
            parts.append(("\n        " + line.note, "$text-muted"))
    return Content.assemble(*parts)
