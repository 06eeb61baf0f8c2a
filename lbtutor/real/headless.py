"""A whole headless comparison: the real run, then the simulator on the same setup and requests,
as one JSON-ready dict (what `lbtutor real --json` prints); and the printable configs."""

from __future__ import annotations

import math

from lbtutor.real import beside, envoy, haproxy, nginx
from lbtutor.real.run import DRAIN, RealRun
from lbtutor.real.setup import RealSetup

# --print-config has no backends to point at: the frontend on 8080, servers from 8081 up
PRINTED_PORT = 8080


def printed_config(setup: RealSetup) -> str:
    """The whole config file for `setup.balancer`, ready to run as is."""
    ports = {name: PRINTED_PORT + 1 + i for i, name in enumerate(setup.names)}
    if setup.balancer == "haproxy":
        return haproxy.config(setup, port=PRINTED_PORT, server_ports=ports, socket_path="unix@haproxy.sock")
    if setup.balancer == "nginx":
        return nginx.config(setup, port=PRINTED_PORT, server_ports=ports)
    return envoy.config(setup, port=PRINTED_PORT, server_ports=ports)


async def compare(setup: RealSetup) -> dict:
    """Run `setup` for real, then in the simulator; the whole result."""
    run = await run_for_real(setup)
    return assemble(run, run.result(), beside_of(run))


async def run_for_real(setup: RealSetup) -> RealRun:
    """A finished real run of `setup` (everything it started is stopped, whatever happens)."""
    run = RealRun(setup)
    try:
        await run.start()
        await run.play()
    finally:
        await run.close()
    return run


async def pick_order(setup: RealSetup, n: int) -> list[str]:
    """The servers the real balancer picks for `n` requests sent one after another."""
    run = RealRun(setup)
    try:
        await run.start()
        return await run.pick_order(n)
    finally:
        await run.close()


def beside_of(run: RealRun) -> beside.BesideRun:
    """The simulator run on the same setup, the same requests, the actions at the same times and
    the probes in the same phase as the finished real run."""
    actions = [(a.server, a.action, a.at, a.factor) for a in run.actions]
    return beside.beside_run(
        run.setup, actions=actions, duration=run.end, drain=DRAIN, requests=run.generator.sent,
        first_probes=run.probe_phase or None, clock_phase=(run.t0_wall or 0.0) % 1.0)


def assemble(run: RealRun, real: dict, sim_run: beside.BesideRun) -> dict:
    setup = run.setup
    gen = run.generator
    duration = run.end
    figures = gen.figures(duration)
    figures["planned_rate"] = gen.sent / duration
    figures["overhead"] = _overhead(run, real, figures, duration)
    return {
        "balancer": {"name": setup.balancer, "version": run.balancer.version, "path": run.balancer.binary,
                     # when its process ended under the run, and how (null: it ran to the end)
                     "gone": None if run.balancer_gone is None else {"at": run.balancer_gone[0],
                                                                     "how": run.balancer_gone[1]}},
        "algorithm": setup.algorithm,
        "setup": _setup_dict(setup),
        "config": run.balancer.config_text,
        "real": real,
        "sim": sim_run.result(duration),
        "generator": figures,
    }


def client_and_backend_latency(real: dict) -> tuple[float, float] | None:
    """Mean latency of the served requests as the client saw it and as the backends measured it
    (a worker's wait and the service); the difference is the path: loopback, the balancer and
    both HTTP stacks. None when nothing was served."""
    served = [row for row in real["servers"] if row["served"] and row["server_latency_mean"] is not None]
    n = sum(r["served"] for r in served)
    if not n:
        return None
    client = sum(r["latency"]["mean"] * r["served"] for r in served)
    server = sum(r["server_latency_mean"] * r["served"] for r in served)
    return client / n, server / n


def _overhead(run: RealRun, real: dict, figures: dict, duration: float) -> dict:
    """What the real path adds to a request's service time, and what the generator costs."""
    means = client_and_backend_latency(real)
    timer = [s["sleep_excess"] / s["served"] for s in run.backend_stats.values() if s.get("served")]
    return {
        # client-side minus server-side latency: loopback, the balancer, both HTTP stacks
        "path_mean": means[0] - means[1] if means else None,
        # how much longer the backends' sleeps took than asked (the event loop's timer)
        "timer_mean": math.fsum(timer) / len(timer) if timer else None,
        # share of one core lbtutor's process used while sending (the generator and its watchers)
        "cpu_share": figures["cpu_seconds"] / duration if duration > 0 else None,
    }


def _setup_dict(s: RealSetup) -> dict:
    return {
        "servers": s.server_count, "weights": s.weight_list, "workers": s.workers,
        "arrival_rate": s.rate, "service_rate": s.service_rate, "service_dist": s.service_dist,
        "offered_load": s.rate / s.capacity, "clients": s.clients, "check": s.check,
        "check_interval": s.check_interval, "check_timeout": s.check_timeout, "fall": s.fall,
        "rise": s.rise, "slowstart": s.slowstart, "max_fails": s.max_fails,
        "fail_timeout": s.fail_timeout, "request_timeout": s.request_timeout,
        "breaks": [{"server": b.server, "mode": b.mode, "at": b.at, "factor": b.factor} for b in s.breaks],
        "heals": [{"server": h.server, "at": h.at} for h in s.heals],
        "duration": s.duration, "seed": s.seed,
    }
