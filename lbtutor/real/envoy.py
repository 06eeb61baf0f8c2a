"""Envoy's v3 bootstrap for a setup (printed only: lbtutor does not run Envoy).

Health checks as HAProxy's: `interval`, `timeout` (Envoy requires one: the check timeout, else the
interval, which is what HAProxy waits without `timeout check`), `unhealthy_threshold` = fall,
`healthy_threshold` = rise, an HTTP GET /health (or a TCP connect). `slow_start_config` ramps a
returning host for round robin and least request.
"""

from __future__ import annotations

import json

from lbtutor.real import algorithms
from lbtutor.real.setup import RealSetup

ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"


def _seconds(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".") + "s"


def bootstrap(setup: RealSetup, *, port: int, server_ports: dict[str, int]) -> dict:
    algorithms.check("envoy", setup.algorithm)
    policy = algorithms.ENVOY[setup.algorithm]
    timeout = setup.check_timeout if setup.check_timeout is not None else setup.check_interval
    check: dict = {
        "interval": _seconds(setup.check_interval),
        "timeout": _seconds(timeout),
        "unhealthy_threshold": setup.fall,
        "healthy_threshold": setup.rise,
    }
    if setup.check == "http":
        check["http_health_check"] = {"path": "/health"}
    else:
        check["tcp_health_check"] = {}
    cluster: dict = {
        "name": "servers",
        "type": "STATIC",
        "connect_timeout": "1s",
        "lb_policy": policy,
        "health_checks": [check],
        "load_assignment": {
            "cluster_name": "servers",
            "endpoints": [{
                "lb_endpoints": [
                    {
                        "endpoint": {"address": {"socket_address": {
                            "address": "127.0.0.1", "port_value": server_ports[name]}}},
                        "load_balancing_weight": weight,
                    }
                    for name, weight in zip(setup.names, setup.weight_list, strict=True)
                ],
            }],
        },
    }
    slow_start = {"slow_start_window": _seconds(setup.slowstart)} if setup.slowstart else None
    if setup.algorithm in ("round-robin", "weighted-round-robin") and slow_start:
        cluster["round_robin_lb_config"] = {"slow_start_config": slow_start}
    if policy == "LEAST_REQUEST":
        lr: dict = {"choice_count": 2}
        if setup.algorithm == "least-connections":
            lr["enable_full_scan"] = True  # every host, not a sample: least connections proper
        if slow_start:
            lr["slow_start_config"] = slow_start
        cluster["least_request_lb_config"] = lr
    route: dict = {"prefix": "/"}
    action: dict = {"cluster": "servers", "timeout": _seconds(setup.request_timeout)}
    if policy == "RING_HASH":
        action["hash_policy"] = [{"connection_properties": {"source_ip": True}}]
        cluster["ring_hash_lb_config"] = {"minimum_ring_size": 1024}
    return {
        "static_resources": {
            "listeners": [{
                "name": "lab",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": HCM,
                        "stat_prefix": "lab",
                        "route_config": {"name": "lab", "virtual_hosts": [{
                            "name": "lab", "domains": ["*"],
                            "routes": [{"match": route, "route": action}],
                        }]},
                        "http_filters": [{"name": "envoy.filters.http.router",
                                          "typed_config": {"@type": ROUTER}}],
                    },
                }]}],
            }],
            "clusters": [cluster],
        },
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port + 1000}}},
    }


def config(setup: RealSetup, *, port: int, server_ports: dict[str, int]) -> str:
    """envoy.json (JSON is YAML too): runs as is with `envoy -c envoy.json`."""
    return json.dumps(bootstrap(setup, port=port, server_ports=server_ports), indent=2) + "\n"
