"""Live metrics for one simulation, as a small table: the recent window, the whole run, theory.

Rows: what happened in the last few seconds (throughput, p50/p95/p99, dropped, failed,
fairness), the same over the whole run, and queueing theory's mean latency beside the simulated
one where a closed form fits the setup.
"""

from __future__ import annotations

from textual.content import Content

from lbtutor.sim.lab_session import PaneView, seconds_text
from lbtutor.sim.readings import since_words
from lbtutor.ui.widgets.lab_text import LabText

LABEL = 12
COLUMNS = (("done/s", 9), ("p50", 9), ("p95", 9), ("p99", 9), ("dropped", 9), ("failed", 8), ("fairness", 8))


WARM_UP = 10.0  # simulated seconds: until then the recent window still holds the empty start
# Narrower than the whole table, columns give way in this order: fairness, then throughput, then
# the median; the tail and the lost requests stay to the last.
GIVE_WAY = ("fairness", "done/s", "p50")


class LabMetrics(LabText):
    DEFAULT_CSS = """
    LabMetrics {
        height: auto;
        padding: 0 1;
    }
    """

    def show(self, pane: PaneView, caption: str | None = None) -> None:  # type: ignore[override]
        """The table for `pane`; a caption above it says whose figures they are (compare mode)."""
        table = metrics_content(pane, self.content_region.width)
        super().show(Content.assemble((caption, "bold"), "\n", table) if caption else table)


def fitting_columns(width: int) -> list[str]:
    """The columns that fit in `width` cells (0: all of them)."""
    names = [name for name, _ in COLUMNS]
    widths = dict(COLUMNS)
    for name in GIVE_WAY:
        if not width or LABEL + sum(widths[n] for n in names) <= width:
            break
        names.remove(name)
    return names


def _row(label: str, cells: dict[str, tuple[str, str]], names: list[str]) -> list:
    parts: list = [(f"{label:<{LABEL}}", "bold")]
    widths = dict(COLUMNS)
    for name in names:
        text, style = cells[name]
        parts.append((f"{text:<{widths[name]}}", style))
    return parts


def metrics_content(pane: PaneView, width: int = 0) -> Content:
    """The table, with the columns that fit in `width` cells (see GIVE_WAY)."""
    names = fitting_columns(width)
    widths = dict(COLUMNS)
    snap = pane.snapshot
    r = snap.recent
    header = [(f"{'':<{LABEL}}", "")] + [(f"{name:<{widths[name]}}", "$text-muted") for name in names]
    window = f"Last {snap.window:.0f} s" if snap.window else "Last —"
    parts: list = [*header, "\n"]
    parts += _row(window, {
        "done/s": (f"{snap.throughput:,.1f}", "bold"),
        "p50": (seconds_text(r.p50), "bold"),
        "p95": (seconds_text(r.p95), "bold"),
        "p99": (seconds_text(r.p99), "bold"),
        "dropped": (f"{pane.window_dropped:,}", "bold $text-warning" if pane.window_dropped else "bold"),
        "failed": (f"{pane.window_failed:,}", "bold $text-error" if pane.window_failed else "bold"),
        "fairness": (f"{snap.jain:.2f}" if snap.jain is not None else "—", "bold"),
    }, names)
    run = pane.run
    if run is not None:
        since = "Since start" if run.since == 0 else f"Since {run.since:,.0f} s"
        parts += ["\n"] + _row(since, {
            "done/s": ("", ""),
            "p50": (seconds_text(run.p50), "bold"),
            "p95": (seconds_text(run.p95), "bold"),
            "p99": (seconds_text(run.p99), "bold"),
            "dropped": (f"{run.dropped:,}", "bold"),
            "failed": (f"{run.failed:,}", "bold"),
            "fairness": ("", ""),
        }, names)
    parts += ["\n", (f"{'Theory':<{LABEL}}", "bold"), theory_content(pane)]
    return Content.assemble(*parts)


def theory_content(pane: PaneView) -> Content:
    theory = pane.theory
    total = pane.snapshot.total
    live = total.mean_latency if total is not None else None  # theory is the long run: so is this
    if not theory:
        return Content.styled("no closed form fits this setup: only the simulation can tell", "italic $text-muted")
    if theory.get("model") == "unstable":
        return Content.styled("unstable: arrivals meet or exceed capacity, queues grow without bound",
                              "bold $text-warning")
    mean = theory.get("mean_latency")
    model = str(theory.get("model", ""))
    simulated = f" · simulated {since_words(total)} "  # the span of the since-start row above it
    # Theory is the steady state; a run starts with empty queues, so its first seconds come in
    # under it (even under the "no balancer beats" bound), which reads as theory being wrong.
    warming = " (warming up: the run started with empty queues)" if pane.snapshot.time < WARM_UP else ""
    if theory.get("lower_bound"):
        return Content.assemble(
            "mean ≥ ", (seconds_text(mean), "bold"), " (no balancer beats one central queue)",
            simulated, (seconds_text(live), "bold"), warming,
        )
    return Content.assemble(
        "mean ", (seconds_text(mean), "bold"), f" ({model})", simulated, (seconds_text(live), "bold"), warming,
    )
