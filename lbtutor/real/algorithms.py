"""How each of the simulator's algorithms is spelled in HAProxy, nginx and Envoy, and where a
balancer has no equivalent (then a run is refused with one line, never approximated silently)."""

from __future__ import annotations

from lbtutor.sim.balancers import ALGORITHMS


class Unsupported(ValueError):
    """The balancer has no equivalent of the algorithm; the message says so and what to use."""


# slug -> the lines of HAProxy's backend section that choose it
HAPROXY = {
    "round-robin": ["balance roundrobin"],
    "weighted-round-robin": ["balance roundrobin"],
    "least-connections": ["balance leastconn"],
    "weighted-least-connections": ["balance leastconn"],  # HAProxy's leastconn divides by weight
    "ip-hash": ["balance source"],  # hash-type map-based (the default): hash mod total weight
    "consistent-hash": ["balance source", "hash-type consistent"],
    "random": ["balance random(1)"],  # one draw (plain "random" means random(2) in 2.x)
    "power-of-two-choices": ["balance random(2)"],  # two draws, fewer sessions wins
}

# slug -> the directive at the top of nginx's upstream block ("" = the default round robin)
NGINX = {
    "round-robin": "",
    "weighted-round-robin": "",  # nginx's default is smooth weighted round robin
    "least-connections": "least_conn;",
    "ip-hash": "ip_hash;",  # keys on the first three octets of an IPv4 address
    "consistent-hash": "hash $remote_addr consistent;",  # ketama: 160 points per weight unit
    "random": "random;",
    "power-of-two-choices": "random two least_conn;",
}

# slug -> Envoy's cluster lb_policy
ENVOY = {
    "round-robin": "ROUND_ROBIN",
    "weighted-round-robin": "ROUND_ROBIN",  # with load_balancing_weight per endpoint
    "least-connections": "LEAST_REQUEST",  # with enable_full_scan: every host, fewest requests
    "consistent-hash": "RING_HASH",  # hash_policy: the source address
    "random": "RANDOM",
    "power-of-two-choices": "LEAST_REQUEST",  # choice_count 2: Envoy's default least request
}

NO_EQUIVALENT = {
    ("haproxy", "least-response-time"): (
        "HAProxy has no least-response-time balancing: its algorithms count sessions, never "
        "latency; try least-connections"),
    ("haproxy", "peak-ewma"): (
        "HAProxy has no peak-EWMA balancing (Finagle and Linkerd have it); try power-of-two-choices"),
    ("nginx", "least-response-time"): (
        "nginx open source has no least-response-time balancing (least_time is NGINX Plus only); "
        "try least-connections"),
    ("nginx", "peak-ewma"): (
        "nginx has no peak-EWMA balancing (Finagle and Linkerd have it); try power-of-two-choices"),
    ("nginx", "weighted-least-connections"): (
        "nginx's least_conn weighs connections its own way (it compares conns/weight and breaks "
        "ties by weighted round robin), which is not the simulator's weighted least connections; "
        "use least-connections with --weights, or HAProxy"),
    ("envoy", "least-response-time"): (
        "Envoy has no least-response-time balancing; try least-connections"),
    ("envoy", "peak-ewma"): (
        "Envoy has no peak-EWMA balancing (its least request is the closest); try power-of-two-choices"),
    ("envoy", "weighted-least-connections"): (
        "Envoy weighs least request its own way (weight / (active + 1) ^ bias), which is not the "
        "simulator's weighted least connections; use least-connections"),
    ("envoy", "ip-hash"): (
        "Envoy hashes only consistently (RING_HASH, MAGLEV), never hash mod N; use consistent-hash"),
}

TABLES = {"haproxy": HAPROXY, "nginx": NGINX, "envoy": ENVOY}


def check(balancer: str, slug: str) -> None:
    """Raise Unsupported (one line) unless `balancer` has an equivalent of algorithm `slug`."""
    if slug not in ALGORITHMS:
        raise Unsupported(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}")
    reason = NO_EQUIVALENT.get((balancer, slug))
    if reason:
        raise Unsupported(reason)
    if slug not in TABLES[balancer]:
        raise Unsupported(f"{balancer} has no equivalent of {slug}")


def supported(balancer: str) -> list[str]:
    return [slug for slug in ALGORITHMS if slug in TABLES[balancer]]


def mapping_help() -> str:
    """One line per algorithm: how HAProxy and nginx spell it (for --help and the README)."""
    lines = []
    for slug in ALGORITHMS:
        h = "; ".join(HAPROXY[slug]) if slug in HAPROXY else "no equivalent"
        n = (NGINX[slug] or "(default round robin)") if slug in NGINX else "no equivalent"
        lines.append(f"{slug}: HAProxy {h}; nginx {n}")
    return "\n".join(lines)
