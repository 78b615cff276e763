"""Representation gap: children needing counsel against those represented, by each dimension,
and urgent children without counsel by court and language."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from matcher.rules import CaseType, Tier

from .children import AGE_BAND_ORDER, TIER_LABELS, open_children_counts
from .filters import ReportFilters
from .reference import NATIONAL_REPRESENTED_SOURCE
from .tables import ChartSpec, Figure, Rate, Report, ReportTable, is_small

NEEDING = "needing counsel"
REPRESENTED = "represented"
WITHOUT = "without counsel"
SHARE = "share represented"
URGENT_TIERS = (Tier.T1.value, Tier.T2.value)

# (table key, title, the columns of `open_children_counts` it groups by, their headings)
BREAKDOWNS = (
    ("by-court", "By court", ("court", "court_name", "state"), ("court", "court name", "state")),
    ("by-state", "By state", ("state",), ("state",)),
    ("by-language", "By primary language", ("language_name",), ("language",)),
    ("by-country", "By country of origin", ("country",), ("country",)),
    ("by-case-type", "By case type", ("case_type",), ("case type",)),
    ("by-age", "By age band", ("age_band",), ("age band",)),
    ("by-tier", "By tier (hearing urgency)", ("tier",), ("tier",)),
)
# Breakdowns with a natural order keep it; the others put the biggest gap first.
NATURAL_ORDER: dict[str, list[object]] = {
    "age_band": list(AGE_BAND_ORDER),
    "tier": [t.value for t in Tier],
    "case_type": [c.value for c in CaseType],
}

DEFINITIONS = (
    "Needing counsel: children whose case is open. Represented: those of them an attorney has "
    "accepted. Tiers and ages are counted on the report's date.",
    "Groups of fewer than 5 children show as <5; where a part of a row is under 5, the other "
    "part and the share are hidden too, since they would give it away.",
)


def gap_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    counts = open_children_counts(session, as_of, filters)
    tables = tuple(
        _breakdown(counts, key, title, by, headings) for key, title, by, headings in BREAKDOWNS
    ) + (_urgent_without_counsel(counts),)
    return Report(
        tables=tables,
        figures=_figures(counts),
        notes=DEFINITIONS,
    )


def _figures(counts: pd.DataFrame) -> tuple[Figure, ...]:
    needing = int(counts["children"].sum())
    represented = int(counts.loc[counts["represented"], "children"].sum())
    urgent = counts["tier"].isin(URGENT_TIERS) & ~counts["represented"]
    urgent_without = int(counts.loc[urgent, "children"].sum())
    share = "" if not needing or is_small(represented) else f"{100 * represented / needing:.1f}%"
    return (
        Figure(NEEDING, _count(needing)),
        Figure(REPRESENTED, _count(represented)),
        Figure(SHARE, share or "hidden", NATIONAL_REPRESENTED_SOURCE),
        Figure(
            "urgent (T1, T2) without counsel",
            _count(urgent_without),
            "hearing within 30 days, a hearing date passed, or detained",
        ),
    )


def _count(n: int) -> str:
    return "<5" if is_small(n) else f"{n:,}"


def _breakdown(
    counts: pd.DataFrame, key: str, title: str, by: tuple[str, ...], headings: tuple[str, ...]
) -> ReportTable:
    grouped = (
        counts.assign(_represented=counts["children"].where(counts["represented"], 0))
        .groupby(list(by), as_index=False)
        .agg(needing=("children", "sum"), represented=("_represented", "sum"))
    )
    grouped["without"] = grouped["needing"] - grouped["represented"]
    natural = NATURAL_ORDER.get(by[0])
    if natural is not None:
        grouped = grouped.sort_values(by[0], key=lambda s: s.map(natural.index))
    else:
        grouped = grouped.sort_values(["without", by[0]], ascending=[False, True])
    if by == ("tier",):
        grouped["tier"] = grouped["tier"].map(TIER_LABELS)
    numbers = grouped.rename(
        columns=dict(zip(by, headings, strict=True))
        | {"needing": NEEDING, "represented": REPRESENTED, "without": WITHOUT}
    ).reset_index(drop=True)
    return ReportTable(
        key=key,
        title=title,
        numbers=numbers,
        child_counts=(NEEDING, REPRESENTED, WITHOUT),
        parts=((REPRESENTED, WITHOUT),),
        rates=(Rate(SHARE, REPRESENTED, NEEDING),),
        chart=ChartSpec(label=headings[0], values=(REPRESENTED, WITHOUT), title=title),
    )


def _urgent_without_counsel(counts: pd.DataFrame) -> ReportTable:
    urgent = counts[counts["tier"].isin(URGENT_TIERS) & ~counts["represented"]]
    table = urgent.pivot_table(
        index=["court", "court_name", "language_name"],
        columns="tier",
        values="children",
        aggfunc="sum",
        fill_value=0,
    )
    table = table.reindex(columns=list(URGENT_TIERS), fill_value=0)
    table.columns = [TIER_LABELS[t] for t in URGENT_TIERS]
    table = table.reset_index()
    table["urgent without counsel"] = table["T1"] + table["T2"]
    table = table.sort_values(
        ["urgent without counsel", "court", "language_name"], ascending=[False, True, True]
    )
    table.insert(0, "court and language", table["court"] + ", " + table["language_name"])
    numbers = table.drop(columns=["court_name"]).rename(columns={"language_name": "language"})
    numbers = numbers[
        ["court and language", "court", "language", "T1", "T2", "urgent without counsel"]
    ]
    return ReportTable(
        key="urgent",
        title="Urgent children (T1, T2) without counsel, by court and language",
        numbers=numbers.reset_index(drop=True),
        child_counts=("T1", "T2", "urgent without counsel"),
        parts=(("T1", "T2"),),
        chart=ChartSpec(
            label="court and language", values=("T1", "T2"), title="Urgent without counsel"
        ),
        note="T1: hearing within 14 days, a hearing date passed, or detained. T2: within 30 days.",
        empty_message="No urgent child is without counsel under these filters.",
    )
