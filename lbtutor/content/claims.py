"""Claims: a number the course states, written once, tied to the formula or simulation it comes from.

A claim is a TOML table, in a lesson's ```claims block or a quiz or interview file's [[claims]]:

    [[claims]]
    id = "random-mean"                 # referenced in the text as {{random-mean}}
    sim = "--algorithm random --servers 4 --arrival-rate 32 --service-rate 10 --requests 50000"
    metric = "latency.mean * 1000"     # a run's number by its dotted path (as `--replications` names
                                       # them), or arithmetic over such numbers; here seconds -> ms
    stated = 500                       # what the text says ...
    tolerance = 20                     # ... and how far from the measured value it may be (in its unit)
    unit = "ms"                        # shown after the number

The text shows `{{random-mean}}` as "500 ms": the number is written once, in the claim, so the
text and the claim cannot disagree. `lbtutor check --claims` measures every claim (see
claims_check.py). A source is one of:

- `formula = "mm1_mean(6, 10) * 1000"`: evaluated exactly (formula.py);
- `sim = "--algorithm ... "`: the flags of `lbtutor sim`, run over seeds --seed, --seed+1, ...;
- `scenario = "name"` with `set = {...}` (and `seed`): a named scenario over seeds;
- `lab = "Lab title"` (lessons only): the step's scenario lab, as the learner runs it.

`kind = "this-run"` marks a number quoted from the one run the learner watches (the lab's seed,
or the `seed` given): it is checked against that run alone, and the text around it must say
"in this run". Otherwise (`kind = "long-run"`, the default) it is checked against the mean over
enough seeds that the 95% interval is narrower than the tolerance.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lbtutor.content.course import Claim
from lbtutor.content.problems import (
    Problem,
    TomlLines,
    closest,
    finite_number,
    is_int,
    is_number,
    nonempty_str,
    type_name,
)

CLAIM_KEYS = ("id", "formula", "sim", "scenario", "set", "lab", "seed", "metric", "stated", "tolerance",
              "unit", "format", "kind")  # fmt: skip
SOURCES = ("formula", "sim", "scenario", "lab")
KINDS = ("long-run", "this-run")
THIS_RUN_WORDS = "in this run"
CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_TIGHT_UNITS = ("%", "×")  # written straight after the number: 80%, 1.75×

# The engine's numbers a `sim` claim may name (per server: servers.s1.utilization, ...).
ENGINE_METRICS = (
    "sim_time", "throughput", "mean_in_system",
    "latency.mean", "latency.p50", "latency.p95", "latency.p99", "latency.max",
    "requests.arrived", "requests.completed", "requests.dropped", "requests.failed", "requests.in_flight",
    "requests.dropped_no_server", "requests.dropped_queue_full", "requests.measured",
    "fairness.jain", "fairness.max_over_mean",
)  # fmt: skip
SERVER_METRICS = ("served", "utilization", "mean_latency", "peak_connections")

# The Claim class itself is in course.py, with the other classes of a loaded course.


def run_key(source: dict) -> str:
    """A content hash of a run source (see Claim.run_source)."""
    text = json.dumps(source, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ------------------------------------------------------------------ a file's claims
class ClaimSet:
    """The claims of one file, and which of them the file's text uses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.claims: dict[str, Claim] = {}
        self.used: set[str] = set()
        self.lab_claims: dict[str, tuple[int, str]] = {}  # id -> (line of "lab", title) to resolve

    def __len__(self) -> int:
        return len(self.claims)

    def render(self, text: str, line_at: Callable[[int], int], problems: list[Problem],
               *, paragraphs: bool = False) -> str:
        """`text` with every {{id}} replaced by that claim's stated value. Unknown ids, and a
        this-run claim whose paragraph (or, for a TOML string, whole string) does not say "in this
        run", are problems at line_at(offset)."""
        if "{{" not in text:
            return text

        def substitute(m: re.Match) -> str:
            name = m.group(1).strip()
            line = line_at(m.start())
            if not CLAIM_ID.match(name):
                problems.append(Problem(self.path, line, f"{{{{{m.group(1)}}}}} is not a claim reference: "
                                                         "write {{id}}, an id of a-z, 0-9 and -"))
                return m.group(0)
            claim = self.claims.get(name)
            if claim is None:
                known = list(self.claims)
                hint = closest(name, known) or (f"; this file's claims: {', '.join(known)}" if known
                                                else "; this file defines no claims")
                problems.append(Problem(self.path, line, f'{{{{{name}}}}}: no claim "{name}" in this file{hint}'))
                return m.group(0)
            self.used.add(name)
            if claim.this_run and THIS_RUN_WORDS not in _context(text, m.start(), paragraphs).lower():
                problems.append(Problem(self.path, line,
                                        f'{{{{{name}}}}} quotes one run (kind = "this-run"): the text around it must '
                                        f'say "{THIS_RUN_WORDS}", or state the long-run value instead'))
            return claim.shown()

        return REFERENCE.sub(substitute, text)

    def answer_value(self, text: str, report: Callable[[str], None]):
        """A number question's `answer = "{{id}}"`: that claim's stated value (else `text`, reported)."""
        m = REFERENCE.fullmatch(text.strip())
        claim = self.claims.get(m.group(1).strip()) if m else None
        if claim is None:
            known = ", ".join(self.claims) or "none in this file"
            report(f'"answer" of a number question is a number, or "{{{{id}}}}" naming a claim of this file ({known}); '
                   f"got {text!r}")
            return 0  # reported: the question does not load, and its answer is not checked again
        self.used.add(claim.id)
        return claim.stated

    def render_toml(self, value, where: TomlLines, problems: list[Problem], *key):
        """A TOML string value rendered (its line from `where`); other values unchanged."""
        if not isinstance(value, str) or "{{" not in value:
            return value
        first = where.line(*key)
        return self.render(value, lambda offset: first + value.count("\n", 0, offset), problems)

    def unused(self) -> list[Problem]:
        return [
            Problem(self.path, c.line, f'claim "{c.id}" is never shown: use it as {{{{{c.id}}}}} in the text, or remove it')
            for c in self.claims.values() if c.id not in self.used
        ]  # fmt: skip

    def resolve_labs(self, labs: dict[str, object], problems: list[Problem]) -> None:
        """Turn each `lab = "title"` claim into its lab's scenario, settings and seed."""
        for cid, (line, title) in self.lab_claims.items():
            claim = self.claims.get(cid)
            if claim is None:
                continue
            lab = labs.get(title)
            if lab is None:
                hint = closest(title, labs) or (f"; labs: {', '.join(labs)}" if labs else "; this lesson has no labs")
                problems.append(Problem(self.path, line, f'claim "{cid}": no lab titled "{title}" in this lesson{hint}'))
                del self.claims[cid]
                continue
            if getattr(lab, "scenario", None) is None:
                problems.append(Problem(self.path, line, f'claim "{cid}": the lab "{title}" is an engine lab, which runs '
                                                         'without end; give the run as sim = "--algorithm ..." instead'))
                del self.claims[cid]
                continue
            bad = _check_metric(claim.metric or "", "scenario", lab.scenario, None)
            if bad:
                problems.append(Problem(self.path, line, f'claim "{cid}": {bad}'))
                del self.claims[cid]
                continue
            self.claims[cid] = replace(claim, scenario=lab.scenario, settings=dict(lab.settings), seed=lab.seed)


def _context(text: str, offset: int, paragraphs: bool) -> str:
    """The paragraph around `offset` (blank lines end it), or the whole text."""
    if not paragraphs:
        return text
    starts = [m.end() for m in re.finditer(r"\n[ \t]*\n", text[:offset])]
    start = starts[-1] if starts else 0
    end_m = re.search(r"\n[ \t]*\n", text[offset:])
    end = offset + end_m.start() if end_m else len(text)
    return text[start:end]


def parse_claims(raw, claim_set: ClaimSet, where: TomlLines, problems: list[Problem], *prefix,
                 allow_lab: bool = False) -> None:
    """Validate the [[claims]] tables `raw` (found at key path `prefix` + ("claims",)) into `claim_set`."""
    path = claim_set.path
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        problems.append(Problem(path, where.line(*prefix, "claims"), f'"claims" must be [[claims]] tables (got {type_name(raw)})'))
        return
    for n, table in enumerate(raw):
        claim = _claim(table, n, claim_set, where, problems, prefix, allow_lab)
        if claim is not None:
            claim_set.claims[claim.id] = claim


def _claim(t: dict, n: int, claim_set: ClaimSet, where: TomlLines, problems: list[Problem], prefix: tuple,
           allow_lab: bool) -> Claim | None:
    path = claim_set.path
    cid = t.get("id")
    label = f'claim "{cid}"' if isinstance(cid, str) else f"claim {n + 1}"
    count = len(problems)

    def problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line(*prefix, "claims", n, *key), f"{label}: {message}"))

    for key in t:
        if key not in CLAIM_KEYS:
            problem(f'unknown key "{key}"{closest(key, CLAIM_KEYS)}; allowed: {", ".join(CLAIM_KEYS)}', key)
    if "id" not in t:
        problem('needs "id": the name the text uses, as {{id}}')
    elif not isinstance(cid, str) or not CLAIM_ID.match(cid):
        problem(f'"id" must be a-z, 0-9 and "-" (got {_shown(cid)})', "id")
    elif cid in claim_set.claims or cid in claim_set.lab_claims:
        problem(f'id "{cid}" is already used by the claim on line {claim_set.claims[cid].line if cid in claim_set.claims else claim_set.lab_claims[cid][0]}', "id")

    sources = [s for s in SOURCES if s in t]
    allowed = SOURCES if allow_lab else SOURCES[:3]
    if "lab" in t and not allow_lab:
        problem('"lab" names a lab of the same lesson; a quiz or interview file gives scenario = "..." instead', "lab")
    if not sources:
        problem(f"needs a source: one of {', '.join(allowed)}")
    elif len(sources) > 1:
        problem(f"has {' and '.join(sources)}: give exactly one source", sources[1])
    source = sources[0] if len(sources) == 1 else None

    kind = t.get("kind", "long-run")
    if kind not in KINDS:
        problem(f'"kind" must be "long-run" or "this-run" (got {_shown(kind)})', "kind")
    elif kind == "this-run" and source == "formula":
        problem('a formula is not a run: "this-run" applies to sim, scenario and lab claims', "kind")

    stated = t.get("stated")
    if "stated" not in t:
        problem('needs "stated": the number the text shows')
    elif not finite_number(stated):
        why = "a finite number of sensible size" if is_number(stated) else f"a number (got {type_name(stated)})"
        problem(f'"stated" must be {why}', "stated")
    tolerance = t.get("tolerance")
    if "tolerance" not in t:
        problem('needs "tolerance": how far the measured value may be from "stated", in its unit (0 for exact)')
    elif not finite_number(tolerance) or tolerance < 0:
        problem(f'"tolerance" must be a number of 0 or more (got {_shown(tolerance)})', "tolerance")
    unit = t.get("unit", "")
    if not isinstance(unit, str):
        problem(f'"unit" must be a string (got {type_name(unit)})', "unit")
    fmt = t.get("format", "")
    if not isinstance(fmt, str):
        problem(f'"format" must be a Python format spec such as ".1f" or "," (got {type_name(fmt)})', "format")
    elif fmt and finite_number(stated):
        try:
            format(stated, fmt)
        except (ValueError, TypeError) as exc:
            problem(f'"format" {fmt!r} cannot format {stated!r}: {exc}', "format")

    seed = t.get("seed", 1)
    if "seed" in t and source != "scenario":
        why = "--seed in the flags" if source == "sim" else "the lab's seed" if source == "lab" else "no seed"
        problem(f'"seed" goes with scenario claims; this one uses {why}', "seed")
    elif not is_int(seed) or not 0 <= seed < 2**63:
        problem(f'"seed" must be a whole number from 0 (got {_shown(seed)})', "seed")
    if "set" in t and source != "scenario":
        problem('"set" holds the parameters of a scenario claim (scenario = "name")', "set")

    metric = t.get("metric")
    if source == "formula":
        if "metric" in t:
            problem('"metric" names a number of a run; a formula is its own value', "metric")
    elif source is not None and "metric" not in t:
        what = "latency.mean, latency.p99, servers.s1.utilization" if source == "sim" else "metrics.<name>"
        problem(f'needs "metric": the dotted path of the number to measure ({what}), or arithmetic over such paths')
    elif source is not None and not nonempty_str(metric):
        problem(f'"metric" must be a dotted path (got {type_name(metric)})', "metric")
    elif source is not None:
        from lbtutor.content.formula import FormulaError, paths_of

        try:
            if not paths_of(metric):
                problem(f'"metric" {metric!r} reads no number of the run: name one by its dotted path', "metric")
        except FormulaError as exc:
            problem(f'"metric": {exc}', "metric")
            metric = None

    settings: dict = {}
    text = t.get(source) if source else None
    if source is not None and not nonempty_str(text):
        problem(f'"{source}" must be a non-empty string (got {type_name(text)})', source)
    elif source == "formula":
        from lbtutor.content.formula import FormulaError, evaluate

        try:
            evaluate(text)
        except FormulaError as exc:
            problem(str(exc), "formula")
    elif source == "sim":
        from lbtutor.sim.config import ConfigError
        from lbtutor.sim.flags import parse_run_flags

        try:
            config = parse_run_flags(text)
        except ConfigError as exc:
            problem(f"sim: {exc}", "sim")
        else:
            bad = _check_metric(metric, "sim", None, config.servers) if nonempty_str(metric) else None
            if bad:
                problem(bad, "metric")
    elif source == "scenario":
        from lbtutor.content.lessons import check_scenario_settings, check_set_table
        from lbtutor.sim.scenarios import names

        if text not in names():
            problem(f'unknown scenario "{text}"{closest(text, names())}; see lbtutor sim --list-scenarios', "scenario")
        else:
            if ("set" in t and check_set_table(t, "claim", problem)
                    and check_scenario_settings(text, t["set"], problem, build=False)):
                settings = dict(t["set"])
            bad = _check_metric(metric, "scenario", text, None) if nonempty_str(metric) else None
            if bad:
                problem(bad, "metric")

    if len(problems) > count or source is None:
        return None
    claim = Claim(
        id=cid, path=path, line=where.line(*prefix, "claims", n, "stated"), stated=stated,
        tolerance=float(tolerance), source="scenario" if source == "lab" else source, kind=kind, unit=unit,
        format=fmt, metric=metric, formula=text if source == "formula" else None,
        sim=text if source == "sim" else None, scenario=text if source == "scenario" else None,
        settings=settings, seed=seed, lab=text if source == "lab" else None,
    )  # fmt: skip
    if source == "lab":
        claim_set.lab_claims[cid] = (where.line(*prefix, "claims", n, "lab"), text)
    return claim


def _shown(value) -> str:
    """A value for a message: its repr, or its type when the repr would be absurdly long."""
    if is_number(value) and not finite_number(value):
        return type_name(value) if isinstance(value, int) else repr(value)
    return repr(value)




def _check_metric(metric: str, source: str, scenario: str | None, servers: int | None) -> str | None:
    """Why `metric` (an expression) reads a number this source does not measure, or None."""
    from lbtutor.content.formula import FormulaError, paths_of

    try:
        paths = paths_of(metric)
    except FormulaError:
        return None  # reported already
    for path in paths:
        bad = _check_path(path, source, scenario, servers)
        if bad:
            return bad
    return None


def _check_path(metric: str, source: str, scenario: str | None, servers: int | None) -> str | None:
    """Why `metric` is not a number this source measures, or None."""
    if source == "sim":
        if metric in ENGINE_METRICS:
            return None
        parts = metric.split(".")
        if len(parts) == 3 and parts[0] == "servers" and parts[2] in SERVER_METRICS:
            names = [f"s{i + 1}" for i in range(servers or 0)]
            if parts[1] in names:
                return None
            return f'metric "{metric}": this run has servers {names[0]} to {names[-1]}' if names else f'metric "{metric}": no servers'
        return (f'unknown metric "{metric}"{closest(metric, ENGINE_METRICS)}; an engine run measures '
                f"{', '.join(ENGINE_METRICS)} and servers.sN.{{{','.join(SERVER_METRICS)}}}")
    from lbtutor.sim.scenarios import get

    names = [m.name for m in get(scenario or "").metrics]
    name = metric.removeprefix("metrics.")
    if metric.startswith("metrics.") and name in names:
        return None
    hint = closest(name, names)
    return (f'unknown metric "{metric}"{hint}; {scenario} measures '
            + ", ".join(f"metrics.{n}" for n in names))
