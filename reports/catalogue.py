"""Every report, in the order the reports page lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from .attorneys import attorneys_report
from .capacity import capacity_report
from .filters import ReportFilters
from .gap import gap_report
from .outcomes import outcomes_report
from .pipeline import pipeline_report
from .recruitment import recruitment_report
from .tables import Report
from .trends import trends_report

ReportBuilder = Callable[[Session, ReportFilters, date], Report]


@dataclass(frozen=True)
class ReportEntry:
    key: str  # its address: /reports/<key>
    title: str
    question: str  # what a lead asks that it answers
    build: ReportBuilder


CATALOGUE: dict[str, ReportEntry] = {
    entry.key: entry
    for entry in (
        ReportEntry(
            "gap",
            "Representation gap",
            "Where are the children who need counsel, and how many have a lawyer?",
            gap_report,
        ),
        ReportEntry(
            "capacity",
            "Capacity against demand",
            "Which languages lack attorneys in which courts, and where are the attorneys full?",
            capacity_report,
        ),
        ReportEntry(
            "recruitment",
            "Recruitment targets",
            "Whom should we recruit next, and what would it change?",
            recruitment_report,
        ),
        ReportEntry(
            "pipeline",
            "Pipeline",
            "How fast do children get from intake to a lawyer, and what becomes of the offers?",
            pipeline_report,
        ),
        ReportEntry(
            "attorneys",
            "Attorneys",
            "How full are our volunteers, who is idle, and how fast do they answer offers?",
            attorneys_report,
        ),
        ReportEntry(
            "outcomes",
            "Outcomes",
            "What happened to the cases we placed?",
            outcomes_report,
        ),
        ReportEntry(
            "trends",
            "Trends",
            "Is the gap closing, overall and court by court?",
            trends_report,
        ),
    )
}
