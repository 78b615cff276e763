"""Attorneys: load against capacity and idle volunteers by firm (slots from models.capacity, the
one definition), and the offers they were sent: answered, accepted, declined, expired, and the
time they took to answer."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, String, and_, case, exists, func, select, type_coerce
from sqlalchemy.orm import Session

from models.capacity import available, slots_select
from models.entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    Court,
    Language,
    Match,
    MatchStatus,
)
from models.queries import seconds_between, sum_of

from .filters import ReportFilters
from .tables import ChartSpec, Figure, Rate, Report, ReportTable, rows_frame

NO_FIRM = "(no firm)"
ANSWERED = (MatchStatus.ACCEPTED, MatchStatus.CLOSED, MatchStatus.DECLINED)

DEFINITIONS = (
    "Attorneys: active volunteers (a deactivated profile or one awaiting approval is not "
    "counted). Court and state filters keep the attorneys who list a court there; language, "
    "those who speak it; case type, those who cover it.",
    "Active cases: cases carried from before plus cases accepted here; offers awaiting: "
    "confirmed and not yet answered; free slots: capacity less both (never below 0). Load: "
    "active cases and offers awaiting, as a share of capacity.",
    "Idle: available today (not on leave) with no active case and no offer awaiting.",
    "Offers: sent (confirmed) within the date range. Answered: accepted or declined; hours to "
    "answer run from the offer to the answer. Expired: left unanswered past the deadline.",
    "These tables count attorneys and offers, not children, so no cell is suppressed; none "
    "shows a child.",
)


def attorneys_report(session: Session, filters: ReportFilters, as_of: date) -> Report:
    load = _load(session, filters, as_of)
    if load.empty:
        empty = "No active attorney " + ("matches these filters." if filters.any else "yet.")
        return Report(tables=(), notes=DEFINITIONS, empty_message=empty)
    offers = _offers(session, filters)
    return Report(
        tables=(_load_by_firm(load), _offers_by_firm(offers)),
        figures=_figures(load, offers),
        notes=DEFINITIONS,
    )


def _attorney_conditions(filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The filters on attorneys: who lists a court (of the state), speaks the language,
    covers the case type."""
    conditions: list[ColumnElement[bool]] = [Attorney.active.is_(True)]
    if filters.court is not None or filters.state is not None:
        court = exists().where(
            AttorneyCourt.attorney_id == Attorney.id, AttorneyCourt.court_id == Court.id
        )
        if filters.court is not None:
            court = court.where(Court.code == filters.court)
        if filters.state is not None:
            court = court.where(Court.state == filters.state)
        conditions.append(court)
    if filters.language is not None:
        conditions.append(
            exists().where(
                AttorneyLanguage.attorney_id == Attorney.id,
                AttorneyLanguage.language_id == Language.id,
                Language.code == filters.language,
            )
        )
    if filters.case_type is not None:
        conditions.append(
            exists().where(
                AttorneyExpertise.attorney_id == Attorney.id,
                AttorneyExpertise.case_type == filters.case_type,
            )
        )
    return conditions


def _firm_names(firms: pd.Series) -> pd.Series:
    """Firms as the tables name them: trimmed, "(no firm)" for none."""
    return firms.map({firm: firm.strip() or NO_FIRM for firm in firms.unique()})


def _load(session: Session, filters: ReportFilters, as_of: date) -> pd.DataFrame:
    """One row per firm: attorneys, capacity, active cases, offers awaiting, free slots (each
    attorney's never below 0) and idle attorneys, summed in SQL over models.capacity's slots
    (a row per firm read, not a row per attorney)."""
    slots = (
        slots_select()
        .add_columns(Attorney.firm, available(as_of).label("available"))
        .where(*_attorney_conditions(filters))
        .subquery("slots")
    )
    active = slots.c.imported_active_cases + slots.c.accepted
    idle = case((and_(slots.c.available, active + slots.c.pending == 0), 1), else_=0)
    free = case((slots.c.free > 0, slots.c.free), else_=0)
    statement = select(
        slots.c.firm,
        func.count(),
        sum_of(slots.c.capacity),
        sum_of(active),
        sum_of(slots.c.pending),
        sum_of(free),
        sum_of(idle),
    ).group_by(slots.c.firm)
    frame = rows_frame(
        session.execute(statement),
        ["firm", "attorneys", "capacity", "active", "pending", "free", "idle"],
    )
    return frame.assign(firm=_firm_names(frame["firm"])).groupby("firm", as_index=False).sum()


def _offers(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """One row per offer sent in the date range to a filtered attorney: firm, fate, hours."""
    statement = (
        select(
            Attorney.firm,
            # the stored value, not the enum: converting it costs more than the rest of the row
            type_coerce(Match.status, String),
            seconds_between(Match.offered_at, Match.answered_at),
        )
        .join(Attorney, Attorney.id == Match.attorney_id)
        .where(
            Match.offered_at.is_not(None),
            filters.in_range(Match.offered_at),
            *_attorney_conditions(filters),
        )
    )
    frame = rows_frame(session.execute(statement), ["firm", "status", "seconds"])
    frame["firm"] = _firm_names(frame["firm"])
    frame["is_answered"] = frame["status"].isin([status.value for status in ANSWERED])
    frame["accepted"] = frame["status"].isin([MatchStatus.ACCEPTED.value, MatchStatus.CLOSED.value])
    frame["declined"] = frame["status"] == MatchStatus.DECLINED.value
    frame["expired"] = frame["status"] == MatchStatus.EXPIRED.value
    hours = frame["seconds"].astype(float) / 3600
    frame["hours"] = hours.where(frame["is_answered"])
    return frame


def _load_by_firm(load: pd.DataFrame) -> ReportTable:
    grouped = load.sort_values(["attorneys", "firm"], ascending=[False, True])
    grouped["load"] = grouped["active"] + grouped["pending"]
    numbers = grouped.rename(
        columns={
            "active": "active cases",
            "pending": "offers awaiting",
            "free": "free slots",
            "idle": "idle attorneys",
            "load": "load",
        }
    )[
        [
            "firm",
            "attorneys",
            "capacity",
            "active cases",
            "offers awaiting",
            "free slots",
            "idle attorneys",
            "load",
        ]
    ].reset_index(drop=True)
    return ReportTable(
        key="load-by-firm",
        title="Load against capacity, by firm",
        numbers=numbers,
        rates=(Rate("load share of capacity", "load", "capacity"),),
        chart=ChartSpec(
            label="firm",
            values=("active cases", "offers awaiting", "free slots"),
            title="Capacity in use and free, by firm",
            unit="slots",
        ),
    )


def _offers_by_firm(offers: pd.DataFrame) -> ReportTable:
    grouped = (
        offers.groupby("firm", as_index=False)
        .agg(
            offers=("status", "count"),
            answered=("is_answered", "sum"),
            accepted=("accepted", "sum"),
            declined=("declined", "sum"),
            expired=("expired", "sum"),
            median_hours=("hours", "median"),
        )
        .sort_values(["offers", "firm"], ascending=[False, True])
        .rename(columns={"median_hours": "median hours to answer"})
        .reset_index(drop=True)
    )
    grouped["median hours to answer"] = grouped["median hours to answer"].round(1)
    return ReportTable(
        key="offers-by-firm",
        title="Offers sent and answered, by firm",
        numbers=grouped,
        rates=(Rate("accepted share", "accepted", "offers"),),
        chart=ChartSpec(
            label="firm",
            values=("accepted", "declined", "expired"),
            title="Offers by answer, by firm",
            unit="offers",
        ),
        empty_message="No offer was sent in this period to these attorneys.",
    )


def _figures(load: pd.DataFrame, offers: pd.DataFrame) -> tuple[Figure, ...]:
    capacity = int(load["capacity"].sum())
    used = int((load["active"] + load["pending"]).sum())
    answered = offers["hours"].dropna()
    return (
        Figure("active attorneys", f"{int(load['attorneys'].sum()):,}"),
        Figure(
            "capacity in use",
            f"{100 * used / capacity:.1f}%" if capacity else "no capacity",
            f"{used:,} of {capacity:,} slots",
        ),
        Figure("idle attorneys", f"{int(load['idle'].sum()):,}", "available, with nothing on"),
        Figure(
            "median hours to answer an offer",
            f"{answered.median():.1f}" if len(answered) else "no answer yet",
            f"{len(answered):,} offers answered",
        ),
    )
