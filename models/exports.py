"""Spreadsheet export in exactly the import formats (DESIGN.md), so an exported file re-imports.

Each kind is one function in EXPORTERS from the session to rows of strings keyed by
COLUMNS[kind]; the command line offers every kind listed there. A spreadsheet carries one leave
period per attorney: the one in force or next to come (or else the latest), as the import reads
`unavailable_from`/`unavailable_to` into exactly one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, TextIO

import openpyxl
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.result import SCORE_PARTS

from .base import utcnow
from .csv_formats import COLUMNS, EXAMPLE_ROWS, LIST_SEPARATOR, CsvKind, flag_cell, protect_cell
from .entities import (
    Attorney,
    AttorneyCourt,
    AttorneyExpertise,
    AttorneyLanguage,
    AttorneyState,
    Child,
    ChildLanguage,
    Conflict,
    Court,
    Language,
    LeavePeriod,
    Match,
    MatchRun,
    MatchStatus,
    SiblingGroup,
    UnmatchedChild,
)
from .languages import read_data_csv
from .queries import latest_succeeded_run
from .reference import language_catalogue

Row = dict[str, str]


def _protected_rows(session: Session, kind: CsvKind) -> list[Row]:
    """The rows of `kind`, each cell safe from a spreadsheet's formulas (the import undoes it)."""
    return [
        {column: protect_cell(value) for column, value in row.items()}
        for row in EXPORTERS[kind](session)
    ]


def export_xlsx(session: Session, kind: CsvKind, out: Path | BinaryIO) -> int:
    """Write every record of `kind` as an Excel workbook (one sheet named for the kind) to a
    path or an open binary file; returns the row count. Every cell is text, as in the CSV
    file: identifiers keep their leading zeros and dates their YYYY-MM-DD, so it re-imports."""
    rows = _protected_rows(session, kind)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(kind.value)
    columns = COLUMNS[kind]
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row[column] for column in columns])
    book.save(out)
    return len(rows)


def column_help(kind: CsvKind) -> dict[str, str]:
    """What each column of an import format holds (models/data/column_help.csv), in order."""
    helps = {
        row["column"]: row["help"]
        for row in read_data_csv("column_help.csv")
        if row["kind"] == kind.value
    }
    missing = [column for column in COLUMNS[kind] if column not in helps]
    if missing:
        raise RuntimeError(f"column_help.csv explains no {kind.value} column {missing}")
    return {column: helps[column] for column in COLUMNS[kind]}


def template_xlsx(kind: CsvKind, out: Path | BinaryIO) -> None:
    """An import template as a workbook: the format's header and its example row on the first
    sheet (the one the import reads), and on a second one what every column holds."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind.value
    columns = COLUMNS[kind]
    sheet.append(list(columns))
    sheet.append([protect_cell(EXAMPLE_ROWS[kind][column]) for column in columns])
    explained = book.create_sheet("Columns")
    explained.append(["column", "what it holds"])
    for column, text in column_help(kind).items():
        explained.append([column, text])
    book.save(out)


def export_csv(session: Session, kind: CsvKind, out: Path | TextIO) -> int:
    """Write every record of `kind` as CSV to a path or an open text file; returns the row count.

    A path gets UTF-8 with a byte-order mark, which Excel needs to show accents; the import
    accepts it.
    """
    rows = _protected_rows(session, kind)
    frame = pd.DataFrame(rows, columns=list(COLUMNS[kind]), dtype=str)
    if isinstance(out, Path):
        frame.to_csv(out, index=False, lineterminator="\n", encoding="utf-8-sig")
    else:
        frame.to_csv(out, index=False, lineterminator="\n")
    return len(frame)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


def _joined(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(items)


def _language_names(session: Session) -> dict[int, str]:
    """Language id -> the catalogue's display name, or the ISO code where that name would not
    read back as the same language (a name two languages share)."""
    catalogue = language_catalogue(session)
    return {
        language_id: name if catalogue.resolve(name) == code else code
        for language_id, code, name in session.execute(
            select(Language.id, Language.code, Language.name)
        ).all()
    }


def child_rows(session: Session) -> list[Row]:
    names = _language_names(session)
    other_languages: dict[int, list[str]] = defaultdict(list)
    for child_id, language_id in session.execute(
        select(ChildLanguage.child_id, ChildLanguage.language_id)
    ).all():
        other_languages[child_id].append(names[language_id])
    rows = session.execute(
        select(
            Child.id,
            Child.external_id,
            Child.first_name,
            Child.last_name,
            Child.a_number,
            Child.birth_date,
            Child.sex,
            Child.country_of_origin,
            Child.primary_language_id,
            Court.code,
            Child.case_type,
            Child.next_hearing_date,
            Child.detained,
            SiblingGroup.external_id,
            Child.intake_date,
        )
        .join(Court, Child.court_id == Court.id)
        .outerjoin(SiblingGroup, Child.sibling_group_id == SiblingGroup.id)
        # An erased record has no personal data to export, and an import refuses it anyway.
        .where(Child.erased_at.is_(None))
        .order_by(Child.id)
    ).all()
    return [
        {
            "external_id": external_id,
            "first_name": first_name,
            "last_name": last_name,
            "a_number": a_number or "",
            "birth_date": _day(birth_date),
            "sex": sex,
            "country_of_origin": country,
            "primary_language": names[primary_language_id],
            "other_languages": _joined(sorted(other_languages.get(child_id, ()))),
            "court_code": court_code,
            "case_type": case_type.value,
            "next_hearing_date": _day(hearing),
            "detained": flag_cell(detained),
            "sibling_group": group or "",
            "intake_date": _day(intake),
        }
        for (
            child_id,
            external_id,
            first_name,
            last_name,
            a_number,
            birth_date,
            sex,
            country,
            primary_language_id,
            court_code,
            case_type,
            hearing,
            detained,
            group,
            intake,
        ) in rows
    ]


def _leave_shown(periods: list[tuple[date, date]], today: date) -> tuple[date, date] | None:
    """The period in force or next to come, else the latest one."""
    if not periods:
        return None
    coming = [p for p in periods if p[1] >= today]
    return min(coming) if coming else max(periods)


def attorney_rows(session: Session) -> list[Row]:
    names = _language_names(session)
    languages: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for attorney_id, language_id, language_level in session.execute(
        select(AttorneyLanguage.attorney_id, AttorneyLanguage.language_id, AttorneyLanguage.level)
    ).all():
        languages[attorney_id].append((names[language_id], language_level.value))
    courts: dict[int, list[str]] = defaultdict(list)
    for attorney_id, code in session.execute(
        select(AttorneyCourt.attorney_id, Court.code).join(
            Court, AttorneyCourt.court_id == Court.id
        )
    ).all():
        courts[attorney_id].append(code)
    states: dict[int, list[str]] = defaultdict(list)
    for attorney_id, state in session.execute(
        select(AttorneyState.attorney_id, AttorneyState.state)
    ).all():
        states[attorney_id].append(state)
    expertise: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for attorney_id, case_type, expertise_level in session.execute(
        select(AttorneyExpertise.attorney_id, AttorneyExpertise.case_type, AttorneyExpertise.level)
    ).all():
        expertise[attorney_id].append((case_type.value, expertise_level.value))
    leave: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for attorney_id, start, end in session.execute(
        select(LeavePeriod.attorney_id, LeavePeriod.start_date, LeavePeriod.end_date)
    ).all():
        leave[attorney_id].append((start, end))
    today = utcnow().date()
    rows = []
    for attorney in session.scalars(select(Attorney).order_by(Attorney.id)):
        period = _leave_shown(leave.get(attorney.id, []), today)
        rows.append(
            {
                "external_id": attorney.external_id,
                "name": attorney.name,
                "email": attorney.email,
                "firm": attorney.firm,
                "languages": _joined(f"{n}:{lv}" for n, lv in sorted(languages[attorney.id])),
                "courts": _joined(sorted(courts[attorney.id])),
                "states_admitted": _joined(sorted(states[attorney.id])),
                "expertise": _joined(f"{c}:{lv}" for c, lv in sorted(expertise[attorney.id])),
                "capacity": str(attorney.capacity),
                "active_cases": str(attorney.imported_active_cases),
                "takes_detained": flag_cell(attorney.takes_detained),
                "remote_ok": flag_cell(attorney.remote_ok),
                "travel_radius_km": str(attorney.travel_radius_km),
                "home_latitude": _number(attorney.home_latitude),
                "home_longitude": _number(attorney.home_longitude),
                "unavailable_from": _day(period[0]) if period else "",
                "unavailable_to": _day(period[1]) if period else "",
            }
        )
    return rows


def conflict_rows(session: Session) -> list[Row]:
    rows = session.execute(
        select(Attorney.external_id, Child.external_id, Conflict.reason)
        .join(Attorney, Conflict.attorney_id == Attorney.id)
        .join(Child, Conflict.child_id == Child.id)
        .order_by(Conflict.id)
    ).all()
    return [
        {"attorney_external_id": attorney, "child_external_id": child, "reason": reason}
        for attorney, child, reason in rows
    ]


def proposal_rows(session: Session) -> list[Row]:
    """The proposals awaiting review, most urgent first, with their score parts."""
    rows = session.execute(
        select(
            Child.external_id,
            Attorney.external_id,
            Match.tier,
            Match.score,
            Match.score_parts,
            Match.explanation,
            Match.run_id,
        )
        .join(Child, Match.child_id == Child.id)
        .join(Attorney, Match.attorney_id == Attorney.id)
        .where(Match.status == MatchStatus.PROPOSED)
        .order_by(Match.tier, Child.next_hearing_date, Match.id)
    ).all()
    return [
        {
            "child_external_id": child,
            "attorney_external_id": attorney,
            "tier": f"T{tier}",
            "score": _number(score),
            **{part: _number(parts.get(part)) for part in SCORE_PARTS},
            "why": why,
            "run_id": str(run_id or ""),
        }
        for child, attorney, tier, score, parts, why, run_id in rows
    ]


def unmatched_rows(session: Session) -> list[Row]:
    """The children the latest successful run left unmatched, with the reason."""
    latest = latest_succeeded_run(session)
    run_id = latest.id if latest else None
    rows = session.execute(
        select(Child.external_id, UnmatchedChild.tier, UnmatchedChild.reason, UnmatchedChild.detail)
        .join(Child, UnmatchedChild.child_id == Child.id)
        .where(UnmatchedChild.run_id == run_id)
        .order_by(UnmatchedChild.tier, UnmatchedChild.reason, Child.external_id)
    ).all()
    return [
        {
            "child_external_id": child,
            "tier": f"T{tier}",
            "reason": reason,
            "detail": detail,
            "run_id": str(run_id),
        }
        for child, tier, reason, detail in rows
    ]


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def run_rows(session: Session) -> list[Row]:
    """Every matching run, newest first, with its statistics."""
    rows = []
    for run in session.scalars(select(MatchRun).order_by(MatchRun.id.desc())):
        per_tier = {
            f"{prefix}_t{tier}": str(counts.get(f"T{tier}", ""))
            for prefix, counts in (
                ("matched", run.matched_per_tier),
                ("greedy", run.baseline_per_tier),
            )
            for tier in range(1, 5)
        }
        seconds = run.finished_at - run.started_at if run.finished_at and run.has_started else None
        rows.append(
            {
                "run_id": str(run.id),
                "trigger": run.trigger,
                "as_of": _day(run.as_of),
                "started_at": _moment(run.started_at),
                "finished_at": _moment(run.finished_at),
                "status": run.status.value,
                "children": str(run.inputs.get("children", "")),
                "eligible_pairs": str(run.inputs.get("eligible_pairs", "")),
                **per_tier,
                "objective": _number(run.objective),
                "bound": _number(run.bound),
                "gap": _number(run.gap),
                "seconds": f"{seconds.total_seconds():.1f}" if seconds else "",
                "error": (run.error or "").splitlines()[0] if run.error else "",
            }
        )
    return rows


# The kinds `counselmatch export` offers; a new kind adds its CsvKind, COLUMNS and a function here.
EXPORTERS: dict[CsvKind, Callable[[Session], list[Row]]] = {
    CsvKind.CHILDREN: child_rows,
    CsvKind.ATTORNEYS: attorney_rows,
    CsvKind.CONFLICTS: conflict_rows,
    CsvKind.PROPOSALS: proposal_rows,
    CsvKind.UNMATCHED: unmatched_rows,
    CsvKind.RUNS: run_rows,
}
