"""The reports' filters: read from the query string, each invalid one named and left out."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from matcher.explain import CASE_TYPE_NAMES
from matcher.rules import CaseType
from models.entities import Child, Court, Language
from reports.filters import ReportFilters

from ..coordinator.forms import ANY, FilterForm, select_choices

# Dates a report can be about: the program's records start after this, and nothing is planned
# further ahead than ten years (a date beyond is a typing mistake, and beyond what SQL can add).
EARLIEST_YEAR = 2000
YEARS_AHEAD = 10


class DayField(DateField):
    """A YYYY-MM-DD day. A NUL in it is refused by name, as web.validators.no_nul does for
    text, and left out of the input the page gives back (DateField would echo it)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if any("\x00" in value for value in valuelist):
            self.data = None
            raise ValueError("Remove the invisible NUL character from what you typed.")
        super().process_formdata(valuelist)

    def _value(self) -> str:
        return str(super()._value()).replace("\x00", "")


def _sane_date(_form: FilterForm, field: DayField) -> None:
    if field.data is None:
        return
    latest = date.today().year + YEARS_AHEAD
    if not EARLIEST_YEAR <= field.data.year <= latest:
        raise ValidationError(f"Give a date between {EARLIEST_YEAR} and {latest}.")


class ReportFilterForm(FilterForm):
    date_from = DayField(
        "From",
        validators=[Optional(), _sane_date],
        format="%Y-%m-%d",
        description="YYYY-MM-DD",
    )
    date_to = DayField(
        "To (inclusive)",
        validators=[Optional(), _sane_date],
        format="%Y-%m-%d",
        description="YYYY-MM-DD",
    )
    court = SelectField("Court", choices=[ANY], default="")
    state = SelectField("State", choices=[ANY], default="")
    language = SelectField("Primary language", choices=[ANY], default="")
    case_type = SelectField(
        "Case type",
        choices=select_choices((ct.value, name) for ct, name in CASE_TYPE_NAMES.items()),
        default="",
    )

    def validate_date_to(self, field: DayField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")

    def set_choices(self, session: Session) -> None:
        """Courts and states of the court list, languages the children speak first."""
        courts = session.execute(select(Court.code, Court.city).order_by(Court.city, Court.code))
        self.court.choices = select_choices((code, f"{city} ({code})") for code, city in courts)
        states = session.scalars(select(Court.state).distinct().order_by(Court.state))
        self.state.choices = select_choices((s, s) for s in states)
        spoken = select(Child.primary_language_id)
        languages = session.execute(
            select(Language.code, Language.name)
            .where(Language.id.in_(spoken.distinct()))
            .order_by(Language.name)
        )
        self.language.choices = select_choices(languages)

    def filters(self) -> ReportFilters:
        """The valid filters chosen (an invalid one is reported on the form and left out)."""
        chosen = self.chosen()
        case_type = chosen.get("case_type")
        return ReportFilters(
            date_from=chosen.get("date_from"),
            date_to=chosen.get("date_to"),
            court=chosen.get("court"),
            state=chosen.get("state"),
            language=chosen.get("language"),
            case_type=CaseType(case_type) if case_type else None,
        )
