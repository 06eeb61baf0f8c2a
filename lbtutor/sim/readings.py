"""What a live lab says about a run, in words: every figure with the span it covers.

A lab shows two kinds of figure. Counts since the run started (or since the count restarted,
after a switch of algorithm) converge to what queueing theory and the lessons state: mean
latency, throughput, share of time busy, requests dropped. Figures over the recent window move
with the run's clumps and bursts and say "last 10 s". Plain strings, no Textual, so the lesson
lab, the full lab and the tests all read the same words.
"""

from __future__ import annotations

from lbtutor.sim.snapshot import Snapshot, Totals
from lbtutor.units import seconds

SINCE, RECENT = "since start", "recent"  # the two spans a headline can show


def since_words(total: Totals | None) -> str:
    """"since start", or "since 31 s" once the count restarted."""
    if total is None or total.since <= 0:
        return "since start"
    return f"since {total.since:,.0f} s"


def window_words(snapshot: Snapshot) -> str:
    """"last 10 s" (shorter while the run is younger than its window)."""
    return f"last {snapshot.window:.0f} s" if snapshot.window >= 0.5 else "last moment"


def since_figures(snapshot: Snapshot, *, latency: bool = True, busy: bool = True) -> list[str]:
    """The counts since the start: arrived, done, its rate, lost (with their share), mean
    latency, and the share of time busy (with several servers, their mean)."""
    total = snapshot.total
    if total is None:
        return []
    figures = [f"{total.arrived:,} arrived", f"{total.completed:,} done", f"{total.throughput:,.1f} done/s"]
    if total.dropped:
        figures.append(f"{total.dropped:,} dropped ({_share(total.dropped, total.arrived)})")
    if total.failed:
        figures.append(f"{total.failed:,} failed ({_share(total.failed, total.arrived)})")
    if latency and total.mean_latency is not None:
        figures.append(f"mean latency {seconds(total.mean_latency)}")
    if busy and total.utilization is not None:
        several = sum(s.in_rotation for s in snapshot.servers) > 1
        figures.append(f"{'mean busy' if several else 'busy'} {total.utilization:.0%}")
    return figures


def window_figures(snapshot: Snapshot, *, latency: bool = True, headline: bool = False) -> list[str]:
    """The recent window: the tail latency, and how fast requests are being lost now; as a
    headline (the lab's "recent" view), its rate, mean latency and mean busy share too."""
    figures = []
    recent = snapshot.recent
    if headline:
        figures.append(f"{snapshot.throughput:,.1f} done/s")
        if latency and recent.count and recent.mean is not None:
            figures.append(f"mean latency {seconds(recent.mean)}")
        busy = [s.utilization for s in snapshot.servers if s.in_rotation]
        if len(busy) > 1:
            figures.append(f"mean busy {sum(busy) / len(busy):.0%}")
    if latency and recent.count and recent.p95 is not None:
        figures.append(f"p95 latency {seconds(recent.p95)}")
    if snapshot.window >= 1:
        if snapshot.window_dropped:
            figures.append(f"dropping {snapshot.window_dropped / snapshot.window:,.1f}/s")
        if snapshot.window_failed:
            figures.append(f"failing {snapshot.window_failed / snapshot.window:,.1f}/s")
    return figures


def headline_row(snapshot: Snapshot, span: str, *, latency: bool = True) -> tuple[str, list[str]]:
    """One (span, figures) row: since the start (SINCE) or over the recent window (RECENT), with
    what is in flight right now."""
    in_flight = f"{snapshot.in_flight:,} in flight"
    if span == RECENT:
        return window_words(snapshot), [*window_figures(snapshot, latency=latency, headline=True), in_flight]
    figures = since_figures(snapshot, latency=latency)
    return since_words(snapshot.total), [*figures[:2], in_flight, *figures[2:]]


def reading_rows(snapshot: Snapshot, *, latency: bool = True, busy: bool = True) -> list[tuple[str, list[str]]]:
    """(span, figures) rows for a headline: since the start first, then the recent window."""
    rows = [(since_words(snapshot.total), since_figures(snapshot, latency=latency, busy=busy))]
    recent = window_figures(snapshot, latency=latency)
    if recent:
        rows.append((window_words(snapshot), recent))
    return [(span, figures) for span, figures in rows if figures]


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"
