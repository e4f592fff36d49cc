"""The server-side charts: numbers in the table match the picture, text is escaped."""

from feedback import charts


def test_a_bar_chart_lists_every_value_in_its_table():
    chart = charts.bar_chart("Answers", [("1", 3), ("2", 0), ("5", None)])
    assert chart.rows == [("1", "3"), ("2", "0"), ("5", "no data")]
    assert chart.svg.count("<rect") == 2 and "no data" in chart.svg


def test_labels_are_escaped():
    chart = charts.bar_chart("<b>", [("<script>", 1)])
    assert "<script>" not in chart.svg and "&lt;script&gt;" in chart.svg


def test_a_line_chart_breaks_where_there_is_no_data():
    chart = charts.line_chart("Trend", ["Jan", "Feb", "Mar"], {"p50": [1.0, None, 2.0]})
    assert chart.svg.count("<polyline") == 0  # two lone points, no segment to draw
    assert chart.rows[1] == ("Feb", "no data")


def test_the_gauge_draws_the_threshold_and_says_the_verdict():
    chart = charts.gauge("Self-service", 0.73, 0.8, "73%: not yet")
    assert "80%" in chart.svg and ("verdict", "73%: not yet") in chart.rows
    assert "#f9a825" in chart.svg  # below the line
