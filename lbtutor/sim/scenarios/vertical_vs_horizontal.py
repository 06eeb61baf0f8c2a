"""vertical-vs-horizontal: traffic grows step by step; one setup buys a bigger server each step,
the other adds a small one behind a balancer. Then, in each, a server dies.

Capacity and cost follow from the parameters: a k-times server finishes k x unit_rate requests a
second (up to the hardware cap) and costs unit_cost x k^cost_exponent; k small servers finish
the same and cost k x unit_cost. The failure is simulated: the big server's death leaves nothing
to serve anyone; one small server's death costs what it held, the 1/k share round robin sends it
until the health check notices, and 1/k of the capacity.
"""

from __future__ import annotations

from lbtutor.sim.config import SimConfig
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import at, lab_simulation
from lbtutor.sim.traffic import Traffic

BIG = "s1"


def up_capacity(step: int, unit_rate: float, max_speed: float) -> float:
    """Requests per second one server `step` times the unit finishes, capped by the biggest box."""
    return unit_rate * min(step, max_speed)


def up_cost(step: int, unit_cost: float, exponent: float, max_speed: float) -> float:
    """Bigger machines cost more per unit of capacity: unit_cost x size^exponent."""
    return unit_cost * min(step, max_speed) ** exponent


def out_capacity(step: int, unit_rate: float) -> float:
    return unit_rate * step


def out_cost(step: int, unit_cost: float) -> float:
    return unit_cost * step


class VerticalVsHorizontalRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        self.steps = p["steps"]
        self.step = 1
        self.fail_at = p["fail_at"]

        def offered(t: float) -> float:
            return self.demand_at(t)

        def sim():
            # Each setup draws its own Traffic from the same seed: identical arrivals and work.
            traffic = Traffic(
                rate=offered(0.0), service_mean=1.0 / p["unit_rate"], seed=seed,
                rate_fn=offered, rate_max=p["load"] * p["unit_rate"] * self.steps,
            )
            config = SimConfig(algorithm="round-robin", servers=1, service_rate=p["unit_rate"],
                               arrival_rate=offered(0.0), seed=seed)
            return lab_simulation(config, traffic=traffic)

        self.up = sim()
        self.out = sim()
        for k in range(2, self.steps + 1):  # each setup has its own clock and its own timers
            when = (k - 1) * p["step_every"]
            at(self.up.env, when, lambda k=k: self._grow_up(k))
            at(self.out.env, when, lambda k=k: self._grow_out(k))
        self.victim: str | None = None
        self.victim_in_flight = 0
        self.before: dict[str, dict] = {}
        at(self.up.env, self.fail_at, self._big_server_dies)
        at(self.out.env, self.fail_at, self._small_server_dies)
        at(self.up.env, self.fail_at + p["detect_after"], lambda: self._detect(self.up, BIG))
        at(self.out.env, self.fail_at + p["detect_after"], lambda: self._detect(self.out, self.victim))

    def demand_at(self, t: float) -> float:
        """Traffic grows one unit per step: at each step the fleet runs at `load` of its capacity."""
        p = self.params
        step = min(self.steps, 1 + int(t // p["step_every"]))
        return p["load"] * p["unit_rate"] * step

    # -- the story ------------------------------------------------------------------------------
    def _grow_up(self, k: int) -> None:
        p = self.params
        self.step = k
        speed = min(k, p["max_speed"])
        self.up.set_speed(BIG, speed)
        capped = " (the hardware cap: no bigger machine exists)" if k > p["max_speed"] else ""
        self.note(f"step {k}: scale up to one {speed:g}x server{capped}; scale out to {k} servers",
                  self.up.now)

    def _grow_out(self, k: int) -> None:
        self.out.add_server()

    def _big_server_dies(self) -> None:
        self.before["up"] = _counters(self.up)
        self.up.take_down(BIG)
        self.note("the one big server dies: every request fails from now on", self.up.now)

    def _small_server_dies(self) -> None:
        self.before["out"] = _counters(self.out)
        self.victim = self.out.servers[-1].name
        self.victim_in_flight = self.out.server(self.victim).active
        self.out.take_down(self.victim)
        self.note(f"one small server ({self.victim}) dies: 1/{len(self.out.servers)} of the capacity",
                  self.out.now)

    def _detect(self, sim, name: str | None) -> None:
        if name is None:
            return
        sim.set_in_rotation(name, False)
        if sim is self.out:
            self.before["out_detected"] = _counters(sim)
            self.note(f"the health check takes {name} out of rotation; the others carry on", sim.now)

    # -- ScenarioRun ----------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        self.up.advance_to(t)
        self.out.advance_to(t)

    def capacity_and_cost(self, step: int | None = None) -> dict:
        p = self.params
        k = self.step if step is None else step
        return {
            "capacity_up": up_capacity(k, p["unit_rate"], p["max_speed"]),
            "capacity_out": out_capacity(k, p["unit_rate"]),
            "cost_up": up_cost(k, p["unit_cost"], p["cost_exponent"], p["max_speed"]),
            "cost_out": out_cost(k, p["unit_cost"]),
        }

    def metrics(self) -> dict:
        out = self.capacity_and_cost()  # at the step reached so far: the live view grows with it
        before_up = self.before.get("up") or _counters(self.up)
        before_out = self.before.get("out") or _counters(self.out)
        dead = self.now >= self.fail_at
        for name, sim, before in (("up", self.up, before_up), ("out", self.out, before_out)):
            failed = sim.failed + sim.dropped
            answered = sim.completed
            out[f"mean_latency_{name}"] = before["mean_latency"]
            out[f"failed_{name}"] = failed
            out[f"availability_{name}"] = answered / (answered + failed) if answered + failed else None
            out[f"capacity_left_{name}"] = self.working_capacity(sim) if dead else None
        return out

    def working_capacity(self, sim) -> float:
        return sum(s.speed for s in sim.servers if s.state != "down") * self.params["unit_rate"]

    def sample(self) -> dict:
        costs = self.capacity_and_cost()
        return {
            "capacity_up": self.working_capacity(self.up),  # what still serves: 0 once it died
            "capacity_out": self.working_capacity(self.out),
            "cost_up": costs["cost_up"],
            "cost_out": costs["cost_out"],
            "demand": self.demand_at(min(self.now, self.duration)),
            "latency_up": self.up.snapshot().recent.mean,
            "latency_out": self.out.snapshot().recent.mean,
            "failed_up": self.up.failed + self.up.dropped,
            "failed_out": self.out.failed + self.out.dropped,
        }

    def panes(self) -> list[Pane]:
        # Labels stay fixed (the lab keys its charts on them); the size and price go in the note.
        c = self.capacity_and_cost()
        dead = self.now >= self.fail_at
        up_note = "dead: all fail" if dead else (
            f"{self.up.server(BIG).speed:g}x box, {c['cost_up']:,.0f} $/mo")
        alive = sum(1 for s in self.out.servers if s.state != "down")
        out_note = f"{self.victim} dead, {alive} carry on" if dead and self.victim else (
            f"{len(self.out.servers)} boxes, {c['cost_out']:,.0f} $/mo")
        return [
            Pane("scale up: one server, made bigger", self.up.snapshot(), up_note),
            Pane("scale out: more small servers", self.out.snapshot(), out_note),
        ]


def _counters(sim) -> dict:
    done = sim.measured_completed
    return {
        "mean_latency": sim.measured_latency_sum / done if done else None,
        "arrived": sim.arrived,
        "completed": sim.completed,
        "in_system": sim.in_system,
    }


SCENARIO = Scenario(
    name="vertical-vs-horizontal",
    section=7,
    title="Scale up or scale out",
    summary=(
        "Traffic grows one unit per step. Scale up buys one bigger server each step: the same "
        "capacity as the small servers, at a price that grows faster than the capacity, and never "
        "beyond the biggest machine sold. Scale out adds one small server behind a round-robin "
        "balancer at a linear price. Until then the big server answers faster, "
        "often twice as fast per request (one fast queue instead of k slow ones). Then one server dies in each: the big one takes "
        "every request down with it; a small one takes 1/k of the capacity, and the rest carry on."
    ),
    look_for=(
        "Watch the price tags as both setups grow to the same capacity, then the failure counters "
        "when a server dies: scale up fails everything from then on, scale out barely flinches."
    ),
    params=(
        Param("steps", 4, "how many times the unit both setups grow to (big server size, small server count)",
              min=1, max=16),
        Param("unit_rate", 10.0, "requests per second one unit server finishes", min=0.5, max=200.0, unit="req/s"),
        Param("load", 0.7, "traffic as a share of the capacity at each step", min=0.05, max=0.95),
        Param("step_every", 15.0, "seconds between growth steps", min=1.0, max=600.0, unit="s"),
        Param("max_speed", 8.0, "the biggest machine sold, in units: scale up stops there", min=1.0, max=64.0, unit="x"),
        Param("unit_cost", 100.0, "price of one unit server", min=1.0, max=10000.0, unit="$/month"),
        Param("cost_exponent", 1.5, "a k-times server costs unit_cost x k^exponent", min=1.0, max=3.0),
        Param("fail_at", 90.0, "when the big server dies, and one small server", min=0.0, max=3600.0, unit="s"),
        Param("detect_after", 3.0, "how long health checks take to notice a dead server", min=0.0, max=60.0, unit="s"),
        Param("duration", 150.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("capacity_up", "req/s", "what the one big server finishes at step k: unit_rate x min(k, max_speed)"),
        Metric("capacity_out", "req/s", "what the k small servers finish together: unit_rate x k"),
        Metric("cost_up", "$/month", "price of the big server at step k: unit_cost x min(k, max_speed)^cost_exponent", label="cost, scale up"),
        Metric("cost_out", "$/month", "price of the k small servers: unit_cost x k", label="cost, scale out"),
        Metric("mean_latency_up", "s", "mean latency before the failure, one big server (one fast queue)"),
        Metric("mean_latency_out", "s", "mean latency before the failure, small servers (k slower queues)"),
        Metric("failed_up", "requests", "requests lost with the big server: those it held and every later one", label="request lost, scale up|requests lost, scale up"),
        Metric("failed_out", "requests", "requests lost with one small server: those it held and its share until detection", label="request lost, scale out|requests lost, scale out"),
        Metric("availability_up", "", "share of answered requests that succeeded, scale up", label="requests answered, scale up"),
        Metric("availability_out", "", "share of answered requests that succeeded, scale out", label="requests answered, scale out"),
        Metric("capacity_left_up", "req/s", "capacity after the failure, scale up"),
        Metric("capacity_left_out", "req/s", "capacity after the failure, scale out: (k-1)/k of it"),
    ),
    run_class=VerticalVsHorizontalRun,
    headline=("cost_up", "cost_out", "failed_up", "failed_out", "availability_up", "availability_out"),
    chart=(
        ChartSeries("capacity_up", "scale up"),
        ChartSeries("capacity_out", "scale out"),
        ChartSeries("demand", "demand"),
    ),
    chart_title="req/s the servers can finish, and the demand",
    duration_param="duration",
    requests=lambda p: (  # the offered load grows a step every step_every seconds, in both setups
        2 * p["load"] * p["unit_rate"] * min(p["steps"], 1 + p["duration"] / p["step_every"]) * p["duration"]
    ),
)
