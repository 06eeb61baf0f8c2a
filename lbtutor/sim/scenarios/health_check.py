"""Scenario `health-check` (section 5): what a check can see, how fast it notices, why fall and rise.

One server, s1, fails at `fail_at` in the way `failure` names and heals at `recover_at`: its
process refuses connections, hangs (accepts and never answers), or answers every request with a
500 while its port still accepts connections; or, under the old name `crash`, its whole host goes
away so probes get no answer at all. A HealthChecker probes every server, by default the way
HAProxy does (the next probe `interval` after the previous one completes), and every request the
balancer sends to s1 while it is still in rotation fails. A tcp check never notices a hung or
erroring application; an http check does, after `fall` failed probes. With `flap_period` s1
alternates between failing and working, and a small `rise` lets it back in for every lucky probe.
"""

from __future__ import annotations

import math

from lbtutor.sim.config import SimConfig
from lbtutor.sim.health import AFTER_COMPLETION, CRASH, FIXED_RATE, HealthChecker
from lbtutor.sim.scenarios.base import (
    ChartSeries,
    Metric,
    Pane,
    Param,
    Scenario,
    ScenarioError,
    ScenarioRun,
)
from lbtutor.sim.scenarios.toolkit import lab_simulation
from lbtutor.sim.server import APP_ERROR, HANG, REFUSE

SICK = "s1"
SERVICE_TIME = 0.05  # seconds of work per request: 50 ms


class HealthCheckRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        _check_story(p, duration)
        config = SimConfig(
            algorithm=p["algorithm"], servers=p["servers"], arrival_rate=p["rate"],
            service_rate=1.0 / SERVICE_TIME, seed=seed,
        )
        self.sim = lab_simulation(config)
        self.checker = HealthChecker(
            self.sim, interval=p["interval"], timeout=p["timeout"] or None, fall=p["fall"],
            rise=p["rise"], check=p["check"], schedule=p["schedule"], on_change=self._verdict,
            connect_timeout=_connect_timeout(p),
        )
        self.sick_now = False
        self.sim.env.process(self._sickness())

    # -- the story -------------------------------------------------------------------------
    def _sickness(self):
        """The sick server breaks at fail_at, flaps if asked to, and heals at recover_at."""
        p, env = self.params, self.sim.env
        yield env.timeout(p["fail_at"])
        self._set_sick(True)
        recover_at, flap = p["recover_at"], p["flap_period"]
        while env.now < recover_at:
            step = recover_at - env.now if flap <= 0 else min(flap, recover_at - env.now)
            yield env.timeout(step)
            if env.now < recover_at:
                self._set_sick(not self.sick_now)
        self._set_sick(False)

    def _set_sick(self, sick: bool) -> None:
        if sick == self.sick_now:
            return
        self.sick_now = sick
        now = self.sim.now
        failure = self.params["failure"]
        if failure == CRASH:
            (self.sim.take_down if sick else self.sim.bring_up)(SICK)
        else:
            self.sim.set_fault(SICK, failure if sick else None)
        what = _FAILING[failure] if sick else _HEALED[failure]
        self.note(f"{SICK}: {what}", at=now)

    def _verdict(self, name: str, healthy: bool, now: float) -> None:
        h = self.checker.health[name]
        if healthy:
            self.note(f"{name} passed {_probes(h.passes)} in a row (rise {self.params['rise']}): "
                      "back in rotation", at=now)
        else:
            self.note(f"{name} failed {_probes(h.failures)} in a row (fall {self.params['fall']}): "
                      "out of rotation", at=now)

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        self.sim.advance_to(t)

    def metrics(self) -> dict:
        p = self.params
        h = self.checker.health[SICK]
        detected = next((t for t in h.detected_at if t >= p["fail_at"]), None)
        readmitted = next((t for t in h.readmitted_at if t >= p["recover_at"]), None)
        return {
            "detected_at": detected,
            "detection_delay": None if detected is None else detected - p["fail_at"],
            "detection_bound": self.checker.detection_bound(p["failure"]),
            "failed_requests": self.sim.failed,
            "readmitted_at": readmitted,
            "readmission_delay": None if readmitted is None else readmitted - p["recover_at"],
            "ejections": len(h.detected_at),
            "probes": h.probes,
        }

    def sample(self) -> dict:
        return {
            "failed_requests": self.sim.failed,
            "sick_in_rotation": int(self.checker.health[SICK].healthy),
            "sick_broken": int(self.sick_now),
        }

    def panes(self) -> list[Pane]:
        h = self.checker.health[SICK]
        verdict = "in rotation" if h.healthy else "out of rotation"
        state = "broken" if self.sick_now else "working"
        return [
            Pane(
                label=f"{self.params['algorithm']}, {self.checker.describe()}",
                snapshot=self.sim.snapshot(),
                note=f"{SICK} is {state} and {verdict}; {self.sim.failed} requests failed",
            )
        ]


_FAILING = {
    REFUSE: "the process is gone and its host refuses connections: requests and probes fail at once",
    HANG: "the process hangs: it accepts connections and never answers, so requests wait for the "
          "client's timeout and an http probe for its own",
    APP_ERROR: "the application breaks (every request gets a 500) but the process is up: "
               "its port still accepts connections",
    CRASH: "the whole host is gone: requests fail and probes get no answer",
}
_HEALED = {
    REFUSE: "the process is back and accepts connections",
    HANG: "the process answers again",
    APP_ERROR: "the application works again",
    CRASH: "the host is back",
}


def _probes(n: int) -> str:
    return f"{n} probe" if n == 1 else f"{n} probes"


def _connect_timeout(p: dict) -> float | None:
    """HAProxy's timeout connect, after completion only (0 = not set); kubelet-style probes have none."""
    if p["schedule"] != AFTER_COMPLETION:
        return None
    return p["connect_timeout"] or math.inf


MIN_FLAP_PERIOD = 0.1  # seconds: flipping faster than probes can see is no flapping a checker could notice


def _check_story(p: dict, duration: float) -> None:
    if p["schedule"] == FIXED_RATE and p["timeout"] > p["interval"]:
        raise ScenarioError(
            f"health-check: timeout={p['timeout']:g} is not allowed; with schedule=fixed-rate timeout "
            f"must be at most interval ({p['interval']:g} s), or probes would overlap"
        )
    if p["fail_at"] >= duration:
        raise ScenarioError(
            f"health-check: fail_at={p['fail_at']:g} is not allowed; fail_at must be before the end "
            f"of the run (duration {duration:g} s)"
        )
    if p["recover_at"] <= p["fail_at"]:
        raise ScenarioError(
            f"health-check: recover_at={p['recover_at']:g} is not allowed; recover_at must be "
            f"after fail_at ({p['fail_at']:g} s)"
        )
    if 0 < p["flap_period"] < MIN_FLAP_PERIOD:
        # every flap is an event: 1e-300 s between flips never reached recover_at (found by hypothesis)
        raise ScenarioError(
            f"health-check: flap_period={p['flap_period']:g} is not allowed; it is 0 (s1 stays broken) "
            f"or at least {MIN_FLAP_PERIOD:g} s"
        )


SCENARIO = Scenario(
    name="health-check",
    section=5,
    title="Health checks: tcp versus http, fall and rise",
    summary=(
        "Four servers share 40 req/s of 50 ms requests. Then one server's application breaks "
        "(fail_at) while its process stays up. The balancer only learns what its probes tell it: a "
        "tcp probe passes as long as the port accepts connections, an http probe sees the errors. "
        "Every request sent to the broken server while it is in rotation fails."
    ),
    look_for=(
        "Watch s1's failed requests: probed over HTTP they stop once a few failed probes (fall) take "
        "it out of rotation; probed over TCP they keep climbing until it heals; when it flaps on and "
        "off (flap_period), a small rise lets it back in for every lucky probe."
    ),
    params=(
        Param("check", "http", "what a probe asks: tcp opens a connection, http asks /health for a 2xx",
              choices=("tcp", "http")),
        Param("failure", "app-error", "how s1 fails: refuse (the process is gone, connections are "
              "refused at once), hang (the process accepts and never answers), app-error (the process "
              "answers every request with a 500 at once), crash (the old name for a host that is gone: "
              "probes get no answer and wait out their timeout)",
              choices=(APP_ERROR, REFUSE, HANG, CRASH)),
        Param("schedule", AFTER_COMPLETION, "when the next probe starts: after-completion = interval "
              "after the previous probe finished (HAProxy, Envoy), fixed-rate = every interval "
              "whatever the last probe did (Kubernetes kubelet probes)", choices=(AFTER_COMPLETION, FIXED_RATE)),
        Param("interval", 2.0, "time between two probes of the same server", min=0.1, max=60, unit="s"),
        Param("timeout", 1.0, "how long a probe waits for an answer before counting as failed; 0 = "
              "not set, so a probe may take the whole interval (HAProxy without timeout check)",
              min=0, max=60, unit="s"),
        Param("connect_timeout", 1.0, "HAProxy's timeout connect (schedule=after-completion): with a "
              "check timeout set, HAProxy 2.6 lets a probe of a hung server run until the later of "
              "timeout and the earlier of interval and this; 0 = not set, so a hung probe runs the "
              "whole interval whatever timeout says", min=0, max=60, unit="s"),
        Param("fall", 3, "failed probes in a row that take a server out of rotation", min=1, max=10),
        Param("rise", 2, "passed probes in a row that put it back", min=1, max=10),
        Param("fail_at", 30.0, "when s1 breaks", min=0, max=600, unit="s"),
        Param("recover_at", 90.0, "when s1 heals for good", min=0, max=600, unit="s"),
        Param("flap_period", 0.0, "from fail_at to recover_at, s1 alternates broken/working every "
              "this many seconds (0 = it stays broken; otherwise at least 0.1 s)", min=0, max=60, unit="s"),
        Param("algorithm", "round-robin", "how the balancer spreads requests over servers in rotation",
              choices=("round-robin", "least-connections")),
        Param("servers", 4, "servers behind the balancer", min=2, max=10),
        Param("rate", 40.0, "requests arriving per second (each needs 50 ms of work)", min=1, max=400,
              unit="req/s"),
        Param("duration", 150.0, "length of the run", min=30, max=600, unit="s"),
    ),
    metrics=(
        Metric("detected_at", "s", "when the checker first took s1 out of rotation after it broke "
               "(none: never noticed)"),
        Metric("detection_delay", "s", "detected_at - fail_at: the blind window", label="from the break to out of rotation"),
        Metric("detection_bound", "s", "the worst case for this failure and schedule: fall x (interval + "
               "wait) after completion, fall x interval + wait at a fixed rate, where wait is how long a "
               "failing probe takes (0 if it is refused or answered; if it gets no answer, its timeout, "
               "or with HAProxy's timeout connect the later of the timeout and the earlier of interval "
               "and connect_timeout); none: never noticed"),
        Metric("failed_requests", "requests", "requests that got an error or no answer", label="failed request|failed requests"),
        Metric("readmitted_at", "s", "when s1 was put back in rotation after it healed", label="s1 back in rotation at"),
        Metric("readmission_delay", "s", "readmitted_at - recover_at: at most rise x interval, plus a probe's timeout "
               "if one was waiting when s1 healed"),
        Metric("ejections", "times", "how often the checker took s1 out (more than 1 = flapping)", label="ejection|ejections"),
        Metric("probes", "probes", "probes sent to s1"),
    ),
    run_class=HealthCheckRun,
    headline=("detection_delay", "failed_requests", "ejections", "readmitted_at"),
    chart=(
        ChartSeries("failed_requests", "failed requests", rate=True),
    ),
    chart_title="failed requests per second",
    duration_param="duration",
    requests=lambda p: p["rate"] * p["duration"],
)
