"""/reports/recruitment: the recruitment targets, and "what if we recruit these" (a POST that
asks the engine with up to five recruits added; it changes nothing)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from matcher.explain import CASE_TYPE_NAMES
from matcher.recruitment import RECRUIT_SLOTS, RecruitProfile
from matcher.rules import CaseType
from models.entities import Child, Court, Language
from reports.catalogue import CATALOGUE
from reports.recruitment import MAX_RECRUITS, answer_what_if
from reports.tables import Report

from ..coordinator.forms import select_choices
from ..extensions import get_session
from . import bp
from .routes import build_report, chart_link, csv_link, filter_form

MAX_SLOTS = 20


class RecruitRow(Form):
    court = SelectField("Court", choices=[], default="")
    language = SelectField("Language", choices=[], default="")
    case_type = SelectField(
        "Case type",
        choices=select_choices((ct.value, name) for ct, name in CASE_TYPE_NAMES.items()),
        default="",
    )
    takes_detained = BooleanField("Takes detained cases")
    slots = IntegerField(
        "Slots",
        default=RECRUIT_SLOTS,
        validators=[
            Optional(),
            NumberRange(1, MAX_SLOTS, message=f"Between 1 and {MAX_SLOTS} cases."),
        ],
    )

    def chosen(self) -> bool:
        return bool(self.court.data or self.language.data or self.case_type.data)

    def validate_court(self, field: SelectField) -> None:
        if self.chosen() and not field.data:
            raise ValidationError("Choose the court.")

    def validate_language(self, field: SelectField) -> None:
        if self.chosen() and not field.data:
            raise ValidationError("Choose the language.")

    def validate_case_type(self, field: SelectField) -> None:
        if self.chosen() and not field.data:
            raise ValidationError("Choose the case type.")


class WhatIfForm(FlaskForm):
    recruits = FieldList(FormField(RecruitRow), min_entries=MAX_RECRUITS, max_entries=MAX_RECRUITS)

    def set_choices(self, session: Session) -> None:
        """The courts of the court list; the languages children speak as their first."""
        courts = list(session.execute(select(Court.code, Court.city).order_by(Court.city)))
        spoken = select(Child.primary_language_id).distinct()
        languages = list(
            session.execute(
                select(Language.code, Language.name)
                .where(Language.id.in_(spoken))
                .order_by(Language.name)
            )
        )
        for row in self.recruits:
            row.court.choices = select_choices((c, f"{city} ({c})") for c, city in courts)
            row.court.choices[0].label = "None"
            row.language.choices = select_choices(languages)
            row.language.choices[0].label = "Choose"
            row.case_type.choices[0].label = "Choose"

    def validate_recruits(self, field: FieldList) -> None:
        if not any(row.chosen() for row in field):
            raise ValidationError("Choose at least one attorney to recruit.")

    def profiles(self, session: Session) -> list[RecruitProfile]:
        ids = {code: court_id for code, court_id in session.execute(select(Court.code, Court.id))}
        return [
            RecruitProfile(
                court_id=ids[row.court.data],
                language=row.language.data,
                case_type=CaseType(row.case_type.data),
                takes_detained=bool(row.takes_detained.data),
                slots=row.slots.data or RECRUIT_SLOTS,
            )
            for row in self.recruits
            if row.chosen()
        ]

    def prefill(self, report: Report, session: Session) -> None:
        """The first rows: the top targets shown (at most three)."""
        table = report.table("targets")
        if table is None:
            return
        codes = {court_id: code for code, court_id in session.execute(select(Court.code, Court.id))}
        snapshot_rows = report.extra.get("profiles", [])
        assert isinstance(snapshot_rows, list)
        for row, profile in zip(self.recruits, snapshot_rows[:3], strict=False):
            row.court.data = codes.get(profile.court_id, "")
            row.language.data = profile.language
            row.case_type.data = profile.case_type.value
            row.takes_detained.data = profile.takes_detained
            row.slots.data = profile.slots


@bp.route("/recruitment", methods=["GET", "POST"])
def recruitment() -> tuple[str, int] | str:
    session = get_session()
    entry = CATALOGUE["recruitment"]
    form, filters = filter_form()
    report = build_report(entry, filters)
    what_if = WhatIfForm()
    what_if.set_choices(session)
    answer, status = None, 200
    if request.method == "POST":
        if what_if.validate_on_submit():
            answer = answer_what_if(session, what_if.profiles(session))
        else:
            status = 400
    else:
        what_if.prefill(report, session)
    return render_template(
        "reports/recruitment.html",
        entry=entry,
        report=report,
        form=form,
        filters=filters,
        as_of=date.today(),
        chart_url=chart_link(entry.key, filters),
        csv_url=csv_link(entry.key, filters),
        what_if=what_if,
        answer=answer,
        action=url_for(".recruitment", **filters.as_query_args()),
    ), status
