"""Live metrics for one simulation, as a small table: the recent window, the whole run, theory.

Rows: what happened in the last few seconds (throughput, p50/p95/p99, dropped, failed,
fairness), the same over the whole run, and queueing theory's mean latency beside the simulated
one where a closed form fits the setup.
"""

from __future__ import annotations

from textual.content import Content

from lbtutor.sim.lab_session import PaneView, seconds_text
from lbtutor.ui.widgets.lab_text import LabText

LABEL = 11
COLUMNS = (("done/s", 9), ("p50", 9), ("p95", 9), ("p99", 9), ("dropped", 9), ("failed", 8), ("fairness", 8))


class LabMetrics(LabText):
    DEFAULT_CSS = """
    LabMetrics {
        height: auto;
        padding: 0 1;
    }
    """

    def show(self, pane: PaneView) -> None:  # type: ignore[override]
        super().show(metrics_content(pane))


def _row(label: str, cells: list[tuple[str, str]]) -> list:
    parts: list = [(f"{label:<{LABEL}}", "bold")]
    for (text, style), (_name, width) in zip(cells, COLUMNS, strict=False):
        parts.append((f"{text:<{width}}", style))
    return parts


def metrics_content(pane: PaneView) -> Content:
    snap = pane.snapshot
    r = snap.recent
    header = [(f"{'':<{LABEL}}", "")] + [(f"{name:<{width}}", "$text-muted") for name, width in COLUMNS]
    window = f"Last {snap.window:.0f} s" if snap.window else "Last —"
    parts: list = [*header, "\n"]
    parts += _row(window, [
        (f"{snap.throughput:,.1f}", "bold"),
        (seconds_text(r.p50), "bold"),
        (seconds_text(r.p95), "bold"),
        (seconds_text(r.p99), "bold"),
        (f"{pane.window_dropped:,}", "bold $text-warning" if pane.window_dropped else "bold"),
        (f"{pane.window_failed:,}", "bold $text-error" if pane.window_failed else "bold"),
        (f"{snap.jain:.2f}" if snap.jain is not None else "—", "bold"),
    ])
    run = pane.run
    if run is not None:
        since = "Whole run" if run.since == 0 else f"Since {run.since:,.0f} s"
        parts += ["\n"] + _row(since, [
            ("", ""),
            (seconds_text(run.p50), "bold"),
            (seconds_text(run.p95), "bold"),
            (seconds_text(run.p99), "bold"),
            (f"{run.dropped:,}", "bold"),
            (f"{run.failed:,}", "bold"),
            ("", ""),
        ])
    parts += ["\n", (f"{'Theory':<{LABEL}}", "bold"), theory_content(pane)]
    return Content.assemble(*parts)


def theory_content(pane: PaneView) -> Content:
    theory = pane.theory
    live = pane.snapshot.recent.mean
    if not theory:
        return Content.styled("no closed form fits this setup: only the simulation can tell", "italic $text-muted")
    if theory.get("model") == "unstable":
        return Content.styled("unstable: arrivals meet or exceed capacity, queues grow without bound",
                              "bold $text-warning")
    mean = theory.get("mean_latency")
    model = str(theory.get("model", ""))
    if theory.get("lower_bound"):
        return Content.assemble(
            "mean ≥ ", (seconds_text(mean), "bold"), " (no balancer beats one central queue)",
            " · simulated ", (seconds_text(live), "bold"),
        )
    return Content.assemble(
        "mean ", (seconds_text(mean), "bold"), f" ({model})", " · simulated ", (seconds_text(live), "bold"),
    )
