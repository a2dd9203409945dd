"""Braille charts and sparklines: the onset is marked where it happened; values land in their columns."""

from __future__ import annotations

import numpy as np

from aiops.tui.plot import braille_cells, column_means, compact_number, render_chart, sparkline


def test_a_step_series_rises_after_the_marked_onset():
    t = np.arange(0.0, 600.0, 10.0)
    v = np.where(t < 300, 1.0, 5.0)
    text = render_chart(t, v, 0.0, 600.0, width=60, height=4, onset=300.0).plain
    rows = text.split("\n")
    assert len(rows) == 5                                   # 4 plot rows + the time axis
    assert rows[0].startswith("5 ") and rows[3].startswith("1 ")   # y labels: max on top, min at the bottom
    top, bottom = rows[0][2:], rows[3][2:]
    onset_col = rows[4].index("▲") - 2                      # the axis label sits under the marker
    assert abs(onset_col - 29) <= 1                          # half-way through a 58-cell plot
    left_top = top[:onset_col].replace("\u2800", "").strip()
    right_top = top[onset_col + 1:].replace("\u2800", "").strip()
    assert left_top == "" and right_top != ""               # high values only after the onset
    assert bottom[:onset_col].replace("\u2800", "").strip() != ""
    assert "▲00:05 onset" in rows[4]


def test_no_marker_without_an_onset_in_the_window():
    t = np.arange(10.0)
    text = render_chart(t, t, 0.0, 10.0, width=30, height=3, onset=None).plain
    assert "│" not in text and "onset" not in text


def test_column_means_leave_empty_columns_nan():
    out = column_means(np.array([0.0, 1.0, 9.0]), np.array([2.0, 4.0, 8.0]), 0.0, 10.0, 5)
    assert out[0] == 3.0 and np.isnan(out[1]) and out[4] == 8.0


def test_braille_line_is_continuous_between_far_apart_points():
    cells = braille_cells(np.array([0.0, 1.0]), height=2)
    # both dot columns of the single cell column are set in every row: the jump is drawn
    assert all(row[0] for row in cells)


def test_sparkline_is_blank_where_nothing_happened_and_full_at_the_peak():
    line = sparkline(np.array([0, 0, 1, 4, 0, 0]), 6)
    assert line[0] == " " and line[3] == "█" and len(line) == 6


def test_compact_numbers_fit_a_gutter():
    assert compact_number(1234567) == "1.23M"
    assert compact_number(0.000123) == "123µ"
    assert compact_number(0.5) == "0.5"


def test_short_gaps_are_bridged_and_long_ones_left_open():
    ys = np.array([0.0, np.nan, 1.0] + [np.nan] * 10 + [0.0])
    cells = braille_cells(ys, height=1)
    assert cells[0][1] == 0x01 | 0x02 | 0x04 | 0x40       # the jump after one empty column is drawn
    assert all(cells[0][c] == 0 for c in range(2, 6))      # ten empty columns stay empty
    assert cells[0][6] == 0x80                              # the next point stands alone
