"""What a scenario is: a named, parameterised, documented experiment with a live and a batch mode.

A scenario builds a `ScenarioRun`, which the lesson blocks and the lab step frame by frame and the
CLI runs to the end. Both modes are the same object driven the same way, so what a learner watches
is exactly what `lbtutor sim --scenario NAME --json` reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lbtutor.sim.snapshot import Snapshot

TIMELINE_POINTS = 100  # a headless run's timeline holds at most this many points (+1)
# The most requests one run may simulate, over all the simulations inside it. The slowest
# scenarios simulate about 100k requests a second, so this keeps any run to seconds, not hours;
# settings that would go past it are refused when the run is built (`Scenario.build`).
MAX_REQUESTS = 1_000_000


class ScenarioError(ValueError):
    """An unknown scenario or parameter, or a value out of range; the message says what is allowed."""


@dataclass(frozen=True)
class Param:
    """One knob of a scenario. The type of `default` is the type of the value (int, float, str, bool)."""

    name: str
    default: float | int | str | bool
    meaning: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    unit: str = ""

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if isinstance(self.default, bool):
            return "true or false"
        kind = "an integer" if isinstance(self.default, int) else "a number"
        lo = "" if self.min is None else f"{self.min:g}"
        hi = "" if self.max is None else f"{self.max:g}"
        if lo and hi:
            return f"{kind} from {lo} to {hi}"
        if lo:
            return f"{kind} of at least {lo}"
        if hi:
            return f"{kind} of at most {hi}"
        return kind

    def parse(self, value, scenario: str = ""):
        """Turn text (from --set) or a TOML value into this parameter's type, checking its range."""
        where = f"{scenario}: " if scenario else ""
        bad = ScenarioError(f"{where}{self.name}={value!r} is not allowed; {self.name} is {self.allowed()}")
        if isinstance(self.default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "1", "on"):
                return True
            if text in ("false", "no", "0", "off"):
                return False
            raise bad
        if isinstance(self.default, str):
            text = str(value)
            if self.choices and text not in self.choices:
                raise bad
            return text
        try:
            if isinstance(self.default, int):
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                number = int(value) if not isinstance(value, str) else int(value.strip())
            else:
                number = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if isinstance(number, float) and not math.isfinite(number):
            raise bad
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            raise bad
        return number

    def describe(self) -> dict:
        return {
            "name": self.name,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices else None,
            "unit": self.unit,
            "meaning": self.meaning,
        }


COUNT_UNITS = ("requests", "times", "sessions", "users", "actions", "instances", "connections")


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    meaning: str
    # Words the live view shows instead of the name, with the span the figure covers where it
    # is not the run so far ("mean latency, one server, before it died"). For a count (unit in
    # COUNT_UNITS) the label is the noun that follows the number: "51 failed requests", or
    # "singular|plural" ("ejection|ejections": "1 ejection").
    label: str = ""

    def describe(self) -> dict:
        return {"name": self.name, "unit": self.unit, "meaning": self.meaning}

    def reading(self, value: object) -> tuple[str, str, str]:
        """(words before, the value with its unit, words after): units said once."""
        from lbtutor.units import metric as formatted

        label = self.label or self.name.replace("_", " ")
        if self.unit in COUNT_UNITS and isinstance(value, int) and not isinstance(value, bool):
            one, _, many = label.partition("|")
            if not self.label:  # the name is the noun: "51 failed requests", "1 ejection"
                many = label
                one = label[:-1] if label.endswith("s") and not label.endswith("ss") else label
            return "", f"{value:,}", (one if value == 1 else (many or one))
        unit = "fraction" if self.unit == "share" else self.unit  # a share reads as a percentage
        return label.partition("|")[0], formatted(value, unit), ""


@dataclass(frozen=True)
class ChartSeries:
    """One line of a scenario's chart. `key` is a key of the run's timeline samples (what
    `ScenarioRun.sample` returns), drawn over time; LATENCY is the lab's own p99 per pane."""

    key: str
    label: str  # legend words; short, so the legend never cuts one ("active-active")
    unit: str = ""  # "s" seconds, "fraction" a share, else a plain number (count, req/s)
    rate: bool = False  # draw the change per second of a running count (failures per second)


LATENCY = ChartSeries("latency", "p99 latency", "s")


@dataclass(frozen=True)
class Pane:
    """One simulation the screen draws as load bars, with a label ("round robin", "L7 /api pool")."""

    label: str
    snapshot: Snapshot
    note: str = ""


class ScenarioRun:
    """A live instance of a scenario. Subclasses implement `_advance`, `metrics`, `sample`, `panes`.

    `advance_to(t)` moves every simulation inside to simulated time t (capped at `duration`),
    recording a timeline point every duration/100 seconds on the way.
    """

    def __init__(self, scenario: Scenario, params: dict, seed: int, duration: float) -> None:
        self.scenario = scenario
        self.params = params
        self.seed = seed
        self.duration = duration
        self.now = 0.0
        self._timeline: list[dict] = []
        self._sample_dt = duration / TIMELINE_POINTS
        self._samples_taken = 0
        self.log: list[tuple[float, str]] = []  # notable events, shown in the UI: (time, text)

    # -- to implement -------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        raise NotImplementedError

    def metrics(self) -> dict:
        """The scenario's metrics as they stand now (the final ones once done)."""
        raise NotImplementedError

    def sample(self) -> dict:
        """One timeline point (without "t"): the few series a chart of the scenario needs."""
        return {}

    def panes(self) -> list[Pane]:
        return []

    # -- provided --------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.now >= self.duration

    def note(self, text: str, at: float | None = None) -> None:
        self.log.append((self.now if at is None else at, text))
        del self.log[:-200]

    def advance_to(self, t: float) -> None:
        t = min(t, self.duration)
        while self._samples_taken <= TIMELINE_POINTS:
            # i x dt, not a running sum, so the last sample lands exactly on `duration`
            at = self.duration if self._samples_taken == TIMELINE_POINTS else self._samples_taken * self._sample_dt
            if at > t + 1e-12:
                break
            self._advance(at)
            self.now = max(self.now, at)
            self._timeline.append({"t": round(at, 9), **self.sample()})
            self._samples_taken += 1
        if t > self.now:
            self._advance(t)
            self.now = t

    def run(self) -> dict:
        self.advance_to(self.duration)
        return self.result()

    def result(self) -> dict:
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "params": dict(self.params),
            "metrics": _json_safe(self.metrics()),
            "timeline": _json_safe(self._timeline),
        }

    @property
    def timeline(self) -> list[dict]:
        return self._timeline

    def series(self, chart: ChartSeries) -> list[float | None]:
        """One chart line from the timeline so far, oldest first: the sample's value, or with
        `chart.rate` its change per second since the sample before (None where there is none)."""
        points = self._timeline
        if not chart.rate:
            return [_number(p.get(chart.key)) for p in points]
        out: list[float | None] = []
        for before, after in zip(points, points[1:], strict=False):
            a, b = _number(before.get(chart.key)), _number(after.get(chart.key))
            dt = after["t"] - before["t"]
            out.append((b - a) / dt if a is not None and b is not None and dt > 0 else None)
        return out


@dataclass
class Scenario:
    """The description of an experiment; `build` makes a runnable instance."""

    name: str
    section: int
    title: str
    summary: str  # what it makes visible
    look_for: str  # one sentence: what to watch
    params: tuple[Param, ...]
    metrics: tuple[Metric, ...]
    run_class: type[ScenarioRun] = ScenarioRun
    headline: tuple[str, ...] = ()  # metric names the live view shows
    # What the scenario's chart plots: the series its story is about (failures over time, the
    # instance count against the traffic), so a look-for line can point at it; by default the
    # p99 latency of each pane. Every key must be one its `sample()` returns (a test checks).
    chart: tuple[ChartSeries, ...] = (LATENCY,)
    chart_title: str = ""  # what the chart shows, in words ("failed requests per second")
    duration_param: str | None = None  # a param holding the run length, else `duration`
    duration: float = 120.0
    extra: dict = field(default_factory=dict)
    # About how many requests a run simulates with these params, all its simulations together
    # (an upper estimate; tests/test_hardening_sim.py holds it to the runs). None: not counted.
    requests: Callable[[dict], float] | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.params) or "none"
        raise ScenarioError(f"{self.name} has no parameter {name!r}; its parameters are: {names}")

    def resolve(self, overrides: dict | None = None) -> dict:
        """Defaults merged with overrides (text or typed values), each checked against its range."""
        values = {p.name: p.default for p in self.params}
        for key, value in (overrides or {}).items():
            values[key] = self.param(key).parse(value, self.name)
        return values

    def expected_requests(self, params: dict) -> float:
        """About how many requests a run with these (resolved) params simulates; 0 if not counted."""
        return float(self.requests(params)) if self.requests else 0.0

    def check_budget(self, params: dict) -> None:
        """Refuse settings that would simulate more than MAX_REQUESTS requests, naming the
        settings the count depends on."""
        if self.requests is None:
            return
        read = _ReadLog(params)
        expected = float(self.requests(read))
        if expected <= MAX_REQUESTS:
            return
        named = ", ".join(f"{name}={params[name]!r}" for name in dict.fromkeys(read.names))
        raise ScenarioError(
            f"{self.name}: {named} would simulate about {expected:,.0f} requests; one run simulates "
            f"at most {MAX_REQUESTS:,}, so lower the traffic or the duration"
        )

    def build(self, overrides: dict | None = None, seed: int = 1) -> ScenarioRun:
        params = self.resolve(overrides)
        self.check_budget(params)
        duration = float(params[self.duration_param]) if self.duration_param else self.duration
        return self.run_class(self, params, seed, duration)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "section": self.section,
            "title": self.title,
            "summary": self.summary,
            "look_for": self.look_for,
            "params": [p.describe() for p in self.params],
            "metrics": [m.describe() for m in self.metrics],
            "headline": list(self.headline),
            "chart": [series.key for series in self.chart],
        }


class _ReadLog(dict):
    """The params, noting which of them a `requests` estimate reads (to name them in a refusal)."""

    def __init__(self, params: dict) -> None:
        super().__init__(params)
        self.names: list[str] = []

    def __getitem__(self, name):
        self.names.append(name)
        return super().__getitem__(name)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _json_safe(value):
    """Replace NaN/inf (not valid JSON) with None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
