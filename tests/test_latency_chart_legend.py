"""The chart's legend describes the values it is drawn with, not the ones shown before."""

from __future__ import annotations

from textual.app import App, ComposeResult

from lbtutor.ui.widgets.latency_chart import LatencyChart, Series


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LatencyChart(title="failed requests per second")


def legend_text(chart: LatencyChart) -> str:
    return "".join(segment.text for line in chart._legend_lines for segment in line)


async def test_a_spike_above_the_scale_is_named_in_the_legend_the_first_time_it_is_drawn():
    app = ChartApp()
    async with app.run_test(size=(100, 10)):
        chart = app.query_one(LatencyChart)
        chart.show([Series("steady", "●", [1.0] * 40)])
        assert not chart.clipped and "above the scale" not in legend_text(chart)
        chart.show([Series("steady", "●", [1.0] * 40 + [100.0])])  # one spike far above the rest
        assert chart.clipped
        assert "↑ above the scale" in legend_text(chart)
        chart.show([Series("steady", "●", [1.0] * 40)])
        assert "above the scale" not in legend_text(chart)
