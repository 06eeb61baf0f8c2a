"""`lbtutor check --claims`: measure every claim and compare it with the number the text states.

- A formula claim is evaluated exactly.
- A long-run claim (sim or scenario) is run over seeds seed, seed+1, ... until the Student-t 95%
  interval of its metric is narrower than PRECISION x its tolerance (MIN_SEEDS to MAX_SEEDS
  seeds); it holds when the mean is within the tolerance of the stated value.
- A this-run claim is the one run at its seed, which is what the learner watches.

Runs are cached by a content hash of their source (the engine config or the scenario with its
parameters, and the first seed; not the metric, the stated value or the tolerance, so editing
a stated number re-checks at once, and claims on the same run share it) together with a hash
of the simulator's source files (lbtutor/sim/**/*.py). An entry made by other simulator code
is stale: it is recomputed, never trusted. A lesson folder may ship its cache as
`claims-cache.json` (the bundled lessons do); what a check measures anew goes to the user cache
dir (lbtutor.paths.cache_dir, under $LBTUTOR_HOME when that is set).
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lbtutor.content.claims import Claim, run_key

MIN_SEEDS = 5
MAX_SEEDS = 100
PRECISION = 0.5  # settled: the interval's half-width is at most this fraction of the tolerance
CACHE_NAME = "claims-cache.json"
CACHE_FORMAT = 1


def simulator_hash() -> str:
    """A hash of every source file of the simulator: a cached run is only as good as the code that made it."""
    import lbtutor.sim

    root = Path(lbtutor.sim.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()[:32]


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    measured: float | None
    low: float | None
    high: float | None
    seeds: int  # runs measured (0 for a formula)
    ok: bool
    fresh: int = 0  # of those runs, how many this check made (the rest came from the cache)
    note: str = ""  # why it failed beyond the numbers: not settled, never measured, an error

    def as_json(self, file: str) -> dict:
        c = self.claim
        return {
            "file": file, "line": c.line, "id": c.id, "kind": c.kind, "source": c.source_text(),
            "stated": c.stated, "measured": self.measured, "ci95": [self.low, self.high], "ok": self.ok,
            "tolerance": c.tolerance, "unit": c.unit, "seeds": self.seeds, "note": self.note,
        }  # fmt: skip

    def line(self, file: str) -> str:
        """`file:line: stated X, measured Y [lo, hi]` and what it was measured from."""
        c = self.claim
        unit = f" {c.unit}" if c.unit else ""
        if self.measured is None:
            text = f"{file}:{c.line}: stated {c.stated}, measured nothing"
        else:
            text = f"{file}:{c.line}: stated {c.stated}, measured {_num(self.measured)} [{_num(self.low)}, {_num(self.high)}]"
        runs = "exact" if c.source == "formula" else "this run" if c.this_run else f"{self.seeds} seeds"
        text += f" (claim {c.id}: tolerance {c.tolerance:g}{unit}, {runs}; {c.source_text()})"
        return text + (f": {self.note}" if self.note else "")


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.4g}"
    return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.2f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------ the cache
class ClaimCache:
    """Measured runs by run key: {"simulator": hash, "source": {...}, "metrics": {path: [value per seed]}}.

    Read from `read` files in order; an entry is used only when its simulator hash is the current
    one. What this check measures is written to `write`."""

    def __init__(self, read: list[Path] = (), write: Path | None = None, sim_hash: str | None = None) -> None:
        self.sim_hash = sim_hash or simulator_hash()
        self.write_path = write
        self.entries: dict[str, dict] = {}
        self.stale = 0  # entries found that other simulator code made
        self.used: set[str] = set()
        self.measured = 0  # runs this check made (the rest came from the cache)
        self.made: set[str] = set()  # keys this check measured anew or extended
        for path in read:
            for key, entry in _read_entries(path).items():
                if entry.get("simulator") != self.sim_hash:
                    self.stale += 1
                    continue
                if _seeds(entry) >= _seeds(self.entries.get(key)):
                    self.entries[key] = entry

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def put(self, key: str, source: dict, metrics: dict[str, list]) -> None:
        if self.entries.get(key, {}).get("metrics") != metrics:
            self.made.add(key)
        self.entries[key] = {"simulator": self.sim_hash, "source": source, "metrics": metrics}

    def save(self, path: Path | None = None, only_used: bool = False) -> Path | None:
        """Write to `path` every entry this check used (only_used: a folder's own cache), or to the
        user cache what this check measured, keeping the fresh entries already there."""
        target = path or self.write_path
        if target is None:
            return None
        if only_used:
            entries = {k: v for k, v in self.entries.items() if k in self.used}
        else:
            if not self.made:
                return None  # nothing new: leave the file as it is
            entries = {k: self.entries[k] for k in self.made}
        if not only_used and target.exists():  # keep what earlier checks left there, if fresh
            for key, entry in _read_entries(target).items():
                if entry.get("simulator") == self.sim_hash:
                    entries.setdefault(key, entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": CACHE_FORMAT, "entries": dict(sorted(entries.items()))}, indent=1)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(target)
        return target


def _read_entries(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no cache, or a broken one: everything is measured again
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return {k: v for k, v in data["entries"].items() if isinstance(v, dict) and isinstance(v.get("metrics"), dict)}


def _seeds(entry: dict | None) -> int:
    if not entry:
        return 0
    return min((len(v) for v in entry["metrics"].values()), default=0)


def cache_for(directory: Path) -> ClaimCache:
    """The cache of a lesson folder: its own claims-cache.json (if it ships one) and the user's."""
    return ClaimCache([directory / CACHE_NAME, user_cache_file(directory)], user_cache_file(directory))


def user_cache_file(directory: Path) -> Path:
    from lbtutor.paths import cache_dir

    tag = hashlib.sha256(str(Path(directory).resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "claims" / f"{Path(directory).name}-{tag}.json"


# ------------------------------------------------------------------ checking
def check_claims(claims: list[Claim], cache: ClaimCache, progress: Callable[[str], None] | None = None) -> list[ClaimResult]:
    """Every claim measured and compared, in the order given."""
    results: dict[int, ClaimResult] = {}
    groups: dict[str, list[tuple[int, Claim]]] = {}
    sources: dict[str, dict] = {}
    for index, claim in enumerate(claims):
        if claim.source == "formula":
            results[index] = _check_formula(claim)
            continue
        try:
            source = claim.run_source()
        except Exception as exc:  # a source that loaded once but no longer builds (a scenario changed)
            results[index] = ClaimResult(claim, None, None, None, 0, False, note=f"cannot run: {exc}")
            continue
        key = run_key(source)
        sources[key] = source
        groups.setdefault(key, []).append((index, claim))
    for key, members in groups.items():
        for index, result in _check_group(key, sources[key], [c for _, c in members], cache, progress):
            results[members[index][0]] = result
    return [results[i] for i in range(len(claims))]


def _check_formula(claim: Claim) -> ClaimResult:
    from lbtutor.content.formula import FormulaError, evaluate

    try:
        value = evaluate(claim.formula or "")
    except FormulaError as exc:
        return ClaimResult(claim, None, None, None, 0, False, note=str(exc))
    return ClaimResult(claim, value, value, value, 0, _within(claim, value))


def _within(claim: Claim, value: float) -> bool:
    return abs(value - claim.stated) <= claim.tolerance + 1e-9 * max(1.0, abs(claim.stated))


def _runner(source: dict) -> tuple[Callable[[int], dict], int]:
    from lbtutor.sim import replications

    if "engine" in source:
        from lbtutor.sim.config import SimConfig

        config = dict(source["engine"])
        weights, speeds = config.pop("weights"), config.pop("speeds")
        cfg = SimConfig(weights=weights, speeds=speeds, seed=source["seed"], **config).validate()
        return replications.engine_runner(cfg), source["seed"]
    return replications.scenario_runner(source["scenario"], source["params"]), source["seed"]


def _check_group(key: str, source: dict, claims: list[Claim], cache: ClaimCache,
                 progress: Callable[[str], None] | None) -> list[tuple[int, ClaimResult]]:
    from lbtutor.sim.replications import measured_values

    needed = list(dict.fromkeys(path for c in claims for path in c.paths))
    entry = cache.get(key)
    values: dict[str, list] = {}
    if entry is not None and all(m in entry["metrics"] for m in needed):
        have = _seeds(entry)
        values = {m: list(entry["metrics"][m][:have]) for m in needed}
    have = len(values[needed[0]]) if values else 0
    values = values or {m: [] for m in needed}
    cached = have
    long_run = [c for c in claims if not c.this_run]
    try:
        run, seed = _runner(source)
        target = max(1, MIN_SEEDS if long_run else 1)
        while True:
            while have < target:
                if progress is not None:
                    progress(f"{claims[0].source_text()}: seed {seed + have}")
                measured = measured_values(run(seed + have))
                for m in needed:
                    values[m].append(measured.get(m))
                have += 1
            want = max((_seeds_wanted(c, values, have) for c in long_run), default=have)
            if want <= have or have >= MAX_SEEDS:
                break
            target = min(MAX_SEEDS, want)
    except Exception as exc:  # a run that fails is a claim that fails, with the reason, never a traceback
        return [(i, ClaimResult(c, None, None, None, have, False, note=f"the run failed: {type(exc).__name__}: {exc}"))
                for i, c in enumerate(claims)]
    cache.put(key, source, values)
    cache.used.add(key)
    cache.measured += have - cached
    return [(i, _result(claim, values, have, max(0, have - cached))) for i, claim in enumerate(claims)]


def _per_run(claim: Claim, values: dict[str, list], have: int) -> list[float | None]:
    """The claim's metric in each of the first `have` runs (None where a run lacks a number)."""
    return [claim.measure({p: values[p][k] for p in claim.paths}) for k in range(have)]


def _seeds_wanted(claim: Claim, values: dict[str, list], have: int) -> int:
    """How many seeds this claim needs for an interval narrower than PRECISION x its tolerance."""
    from lbtutor.sim.replications import interval, t_quantile

    data = [v for v in _per_run(claim, values, have) if v is not None]
    if len(data) < 2:
        return have + 1 if have < MAX_SEEDS else have
    ci = interval(data)
    goal = PRECISION * claim.tolerance
    if ci.half_width <= goal:
        return have
    if goal <= 0:
        return MAX_SEEDS
    # The seeds the interval would need if the spread is what these runs show (with the normal
    # quantile: a few runs' t quantile would overshoot), at most twice as many as now, so a
    # spread guessed from five runs does not send the check to MAX_SEEDS at once.
    spread = statistics.stdev(data) * t_quantile(0.975, 10**6)
    return max(have + 1, min(2 * have, math.ceil((spread / goal) ** 2 * have / len(data))))


def _result(claim: Claim, values: dict[str, list], have: int, fresh: int) -> ClaimResult:
    from lbtutor.sim.replications import interval

    runs = _per_run(claim, values, have)
    if claim.this_run:
        value = runs[0] if runs else None
        if value is None:
            return ClaimResult(claim, None, None, None, 1, False, fresh, f"the run never measured {claim.metric}")
        return ClaimResult(claim, value, value, value, 1, _within(claim, value), fresh)
    data = [v for v in runs if v is not None]
    if not data:
        return ClaimResult(claim, None, None, None, have, False, fresh, f"no run measured {claim.metric}")
    ci = interval(data)
    low, high = ci.as_list()
    settled = ci.half_width <= PRECISION * claim.tolerance
    note = "" if settled else (
        f"not settled: after {have} seeds the 95% interval is ±{_num(ci.half_width)}, wider than half the "
        "tolerance; widen the tolerance or lengthen the run"
    )
    return ClaimResult(claim, ci.mean, low, high, have, settled and _within(claim, ci.mean), fresh, note)
