"""ReportTable.shown() and csv(): the small-cell rule, parts, rates and stats, on hand-made
frames whose shown values are worked out by hand."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from reports.tables import HIDDEN_MARK, SMALL_MARK, Rate, Report, ReportTable

GAP_LIKE = {
    "child_counts": ("needing", "represented", "without"),
    "parts": (("represented", "without"),),
    "rates": (Rate("share", "represented", "needing"),),
}


def table(rows: list[dict[str, object]], **rules: object) -> ReportTable:
    return ReportTable(key="t", title="T", numbers=pd.DataFrame(rows), **rules)


def shown_rows(report_table: ReportTable) -> list[dict[str, object]]:
    return report_table.shown().to_dict("records")


def csv_rows(report_table: ReportTable) -> list[list[str]]:
    return list(csv.reader(io.StringIO(report_table.csv())))


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, 0), (1, SMALL_MARK), (2, SMALL_MARK), (3, SMALL_MARK), (4, SMALL_MARK), (5, 5), (6, 6)],
)
def test_counts_of_one_to_four_children_show_as_under_five(count, shown):
    rows = shown_rows(table([{"court": "HOU", "children": count}], child_counts=("children",)))
    assert rows == [{"court": "HOU", "children": shown}]


def test_only_declared_child_counts_are_suppressed():
    rows = shown_rows(
        table(
            [{"firm": "Alpha LLP", "attorneys": 2, "children": 12, "slots": 3}],
            child_counts=("children",),
        )
    )
    assert rows == [{"firm": "Alpha LLP", "attorneys": 2, "children": 12, "slots": 3}]


def test_counts_come_out_as_python_ints_and_missing_values_as_blank():
    numbers = pd.DataFrame(
        {"label": ["a", "b"], "children": np.array([7, 0], dtype=np.int64), "x": [1.5, np.nan]}
    )
    rows = ReportTable(key="t", title="T", numbers=numbers, child_counts=("children",)).shown()
    values = rows.to_dict("records")
    assert values == [
        {"label": "a", "children": 7, "x": 1.5},
        {"label": "b", "children": 0, "x": ""},
    ]
    assert type(values[0]["children"]) is int  # the page formats ints with thousands separators


def test_one_small_part_hides_the_other_part_and_the_rate_but_not_the_whole():
    # 12 needing = 3 represented + 9 without: 9 would give the 3 away as 12 - 9.
    rows = shown_rows(
        table([{"court": "HOU", "needing": 12, "represented": 3, "without": 9}], **GAP_LIKE)
    )
    assert rows == [
        {
            "court": "HOU",
            "needing": 12,
            "represented": SMALL_MARK,
            "without": HIDDEN_MARK,
            "share": HIDDEN_MARK,
        }
    ]


def test_a_small_part_hides_parts_in_its_own_group_only():
    rows = shown_rows(
        table(
            [{"g": "x", "a": 2, "b": 20, "c": 30, "d": 40}],
            child_counts=("a", "b", "c", "d"),
            parts=(("a", "b"), ("c", "d")),
        )
    )
    assert rows == [{"g": "x", "a": SMALL_MARK, "b": HIDDEN_MARK, "c": 30, "d": 40}]


def test_a_zero_part_beside_a_small_one_is_hidden_not_shown_as_under_five():
    # 4 needing, 0 represented, 4 without: the 0 would tell that all 4 are without counsel.
    rows = shown_rows(
        table([{"court": "NYC", "needing": 4, "represented": 0, "without": 4}], **GAP_LIKE)
    )
    assert rows == [
        {
            "court": "NYC",
            "needing": SMALL_MARK,
            "represented": HIDDEN_MARK,
            "without": SMALL_MARK,
            "share": HIDDEN_MARK,
        }
    ]


def test_parts_of_five_or_more_and_zero_show_with_their_rate():
    rows = shown_rows(
        table(
            [
                {"court": "HOU", "needing": 8, "represented": 5, "without": 3},
                {"court": "DAL", "needing": 16, "represented": 6, "without": 10},
                {"court": "ELP", "needing": 7, "represented": 0, "without": 7},
                {"court": "SFR", "needing": 5, "represented": 5, "without": 0},
            ],
            **GAP_LIKE,
        )
    )
    assert rows[1:] == [
        {"court": "DAL", "needing": 16, "represented": 6, "without": 10, "share": "37.5%"},
        {"court": "ELP", "needing": 7, "represented": 0, "without": 7, "share": "0.0%"},
        {"court": "SFR", "needing": 5, "represented": 5, "without": 0, "share": "100.0%"},
    ]
    # 3 without is small, so its part (5 represented) and the share go too
    assert rows[0] == {
        "court": "HOU",
        "needing": 8,
        "represented": HIDDEN_MARK,
        "without": SMALL_MARK,
        "share": HIDDEN_MARK,
    }


def test_a_rate_is_hidden_only_when_its_part_or_whole_is():
    rows = shown_rows(
        table(
            [
                # c is small but neither part nor whole of the rate: the rate shows
                {"g": "x", "a": 5, "b": 15, "c": 2},
                # the rate's whole is small
                {"g": "y", "a": 0, "b": 3, "c": 9},
                # the rate's part is small
                {"g": "z", "a": 1, "b": 30, "c": 9},
            ],
            child_counts=("a", "b", "c"),
            rates=(Rate("a of b", "a", "b"),),
        )
    )
    assert rows == [
        {"g": "x", "a": 5, "b": 15, "c": SMALL_MARK, "a of b": "33.3%"},
        {"g": "y", "a": 0, "b": SMALL_MARK, "c": 9, "a of b": HIDDEN_MARK},
        {"g": "z", "a": SMALL_MARK, "b": 30, "c": 9, "a of b": HIDDEN_MARK},
    ]


def test_a_rate_over_nothing_is_blank_and_rates_round_to_one_decimal():
    rows = shown_rows(
        table(
            [{"g": "x", "a": 0, "b": 0}, {"g": "y", "a": 2, "b": 3}, {"g": "z", "a": 7, "b": 9}],
            rates=(Rate("a of b", "a", "b"),),
        )
    )
    assert [row["a of b"] for row in rows] == ["", "66.7%", "77.8%"]


def test_rates_are_columns_after_the_numbers():
    report_table = table([{"g": "x", "a": 1, "b": 2}], rates=(Rate("share", "a", "b"),))
    assert report_table.columns == ["g", "a", "b", "share"]
    assert list(report_table.shown().columns) == report_table.columns
    assert report_table.numeric_columns == {"a", "b", "share"}


def test_stats_are_hidden_with_their_count():
    rows = shown_rows(
        table(
            [
                {"month": "2026-09", "offered": 3, "median days": 6.0, "p90 days": 11.0},
                {"month": "2026-10", "offered": 5, "median days": 2.5, "p90 days": 9.0},
                {"month": "2026-11", "offered": 0, "median days": np.nan, "p90 days": np.nan},
            ],
            child_counts=("offered",),
            stats=(("median days", "offered"), ("p90 days", "offered")),
        )
    )
    assert rows == [
        {
            "month": "2026-09",
            "offered": SMALL_MARK,
            "median days": HIDDEN_MARK,
            "p90 days": HIDDEN_MARK,
        },
        {"month": "2026-10", "offered": 5, "median days": 2.5, "p90 days": 9.0},
        {"month": "2026-11", "offered": 0, "median days": "", "p90 days": ""},
    ]


def test_a_stat_is_hidden_when_its_count_is_hidden_as_a_part():
    rows = shown_rows(
        table(
            [{"m": "x", "accepted": 2, "declined": 8, "median days to decline": 4.0}],
            child_counts=("accepted", "declined"),
            parts=(("accepted", "declined"),),
            stats=(("median days to decline", "declined"),),
        )
    )
    assert rows == [
        {
            "m": "x",
            "accepted": SMALL_MARK,
            "declined": HIDDEN_MARK,
            "median days to decline": HIDDEN_MARK,
        }
    ]


def test_csv_carries_the_shown_table_marks_included():
    report_table = table(
        [
            {"court": "HOU", "needing": 12, "represented": 3, "without": 9},
            {"court": "DAL", "needing": 16, "represented": 6, "without": 10},
            {"court": "ELP", "needing": 0, "represented": 0, "without": 0},
        ],
        **GAP_LIKE,
    )
    rows = csv_rows(report_table)
    assert rows == [
        ["court", "needing", "represented", "without", "share"],
        ["HOU", "12", "<5", "hidden", "hidden"],
        ["DAL", "16", "6", "10", "37.5%"],
        ["ELP", "0", "0", "0", ""],
    ]
    shown = report_table.shown()
    assert rows[0] == list(shown.columns)
    assert rows[1:] == [[str(v) for v in row] for row in shown.itertuples(index=False)]
    assert report_table.csv().endswith("\r\n")


@pytest.mark.parametrize(
    ("label", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("Houston (HOU)", "Houston (HOU)"),
        ("-12", "-12"),  # a plain negative number is a number, not a formula
    ],
)
def test_csv_neutralises_labels_a_spreadsheet_would_run(label, cell):
    report_table = table([{"firm": label, "children": 7}], child_counts=("children",))
    rows = csv_rows(report_table)
    assert rows[1] == [cell, "7"]
    # what people see on the page is the label as it is; only the CSV cell is protected
    assert shown_rows(report_table) == [{"firm": label, "children": 7}]


def test_an_empty_table_says_so_and_its_csv_is_the_heading():
    report_table = ReportTable(
        key="t",
        title="T",
        numbers=pd.DataFrame(columns=["court", "needing", "represented", "without"]),
        **GAP_LIKE,
    )
    assert report_table.empty
    assert csv_rows(report_table) == [["court", "needing", "represented", "without", "share"]]
    report = Report(tables=(report_table,))
    assert report.empty and report.table("t") is report_table and report.table("nope") is None
