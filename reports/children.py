"""The children a report counts, aggregated in SQL: one row per combination of the dimensions
(court, language, country, case type, age band, tier, detained, represented) with its count.

One GROUP BY over the children, whatever their number, so every breakdown of the gap is a
pandas sum over at most a few thousand rows. Never a name, an A-number or a birth date: the age
band is computed in SQL from the birth date (the birth year of an erased record) and only the
band leaves the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, String, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from matcher.rules import Tier
from models.entities import CaseStatus, Child, Court, Language
from models.queries import has_accepted_match, tier_expression

from .filters import ReportFilters
from .tables import rows_frame

# (first age, last age, label), youngest first; DESIGN.md's bands, then anyone 18 or older.
AGE_BANDS = ((0, 5, "0–5"), (6, 12, "6–12"), (13, 15, "13–15"), (16, 17, "16–17"))
ADULT_BAND = "18 or older"
AGE_BAND_ORDER = tuple(label for _, _, label in AGE_BANDS) + (ADULT_BAND,)
TIER_LABELS = {tier.value: tier.name for tier in Tier}

DIMENSIONS = (
    "court",
    "court_name",
    "state",
    "language",
    "language_name",
    "country",
    "case_type",
    "age_band",
    "tier",
    "detained",
    "represented",
)


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February becomes the 28th): a child born on or before
    it is at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band_expression(as_of: date) -> ColumnElement[str]:
    """The child's age band on `as_of`, from the birth date, in SQL. An erased record keeps
    only its birth year (models/erasure.py): its birthday is taken as 1 July, mid-year."""
    whens = []
    for _first, last, label in AGE_BANDS:
        earliest = years_before(as_of, last + 1)  # born after it: younger than last + 1
        by_year = (
            Child.birth_year > earliest.year
            if (earliest.month, earliest.day) >= (7, 1)
            else Child.birth_year >= earliest.year
        )
        whens.append((Child.birth_date > earliest, literal(label)))
        whens.append((Child.birth_date.is_(None) & by_year, literal(label)))
    return case(*whens, else_=literal(ADULT_BAND))


def open_children_counts(session: Session, as_of: date, filters: ReportFilters) -> pd.DataFrame:
    """Children needing counsel (an open case), counted per combination of DIMENSIONS, tiers
    and ages on `as_of`; column `children` holds the count.

    Two levels: the children are grouped by their own columns (court and language ids, not
    names), and the few thousand groups then get their court's and language's names. Grouping
    a quarter of a million rows by five more text columns that the ids decide already took
    twice as long on both backends."""
    # A correlated EXISTS (an index search per child), not an outer join to the accepted
    # children: SQLite scans a joined subquery once per child when it also groups, which took
    # 25 s at 50,000 children.
    represented = has_accepted_match()
    own: tuple[Any, ...] = (
        Child.court_id,
        Child.primary_language_id,
        Child.country_of_origin,
        # the stored value, not the enum: converting every row's costs as much as the rest
        type_coerce(Child.case_type, String),
        age_band_expression(as_of),
        tier_expression(as_of),
        Child.detained,
        represented,
    )
    names = ("court_id", "language_id", *DIMENSIONS[5:])
    groups = (
        filters.on_children(
            select(*(c.label(n) for c, n in zip(own, names, strict=True)), func.count().label("n"))
        )
        .where(Child.case_status == CaseStatus.OPEN)
        .group_by(*own)
        .subquery("groups")
    )
    statement = (
        select(
            Court.code,
            Court.name,
            Court.state,
            Language.code,
            Language.name,
            *(groups.c[n] for n in names[2:]),
            groups.c.n,
        )
        .select_from(groups)
        .join(Court, Court.id == groups.c.court_id)
        .join(Language, Language.id == groups.c.language_id)
    )
    frame = rows_frame(session.execute(statement), [*DIMENSIONS, "children"])
    frame["represented"] = frame["represented"].astype(bool)
    frame["detained"] = frame["detained"].astype(bool)
    frame["tier"] = frame["tier"].astype(int)
    frame["children"] = frame["children"].astype(int)
    return frame
