"""GET/POST /admin/settings: every setting the engine, the jobs and the pages read, with its
meaning, unit, allowed values and default (from the one registry, models.settings), and the
history of changes from the audit trail, newest first.

The form holds every setting as text; models.setting_changes reads each value by its setting's
kind, refuses the whole save with a message on each field at fault, and otherwise writes and
audits only the settings whose value changed.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field, SelectChoice, SelectField, StringField, SubmitField

from models.setting_changes import (
    SettingsRefused,
    change_settings,
    history_lines,
    setting_history,
)
from models.setting_kinds import NO, YES, SettingInvalid, SettingSpec, YesNo
from models.settings import all_settings, registry

from ..extensions import get_session
from ..pagination import paginate
from ..security import signed_in_user
from . import bp


def _field(spec: SettingSpec[Any]) -> Field:
    if isinstance(spec, YesNo):
        # Any answer reaches the model, which says what is wrong with it.
        return SelectField(
            spec.label,
            choices=[SelectChoice(NO, "No"), SelectChoice(YES, "Yes")],
            validate_choice=False,
        )
    return StringField(spec.label)


# One field per setting of the registry, named by spec.field_name.
SettingsForm: type[FlaskForm] = type(
    "SettingsForm",
    (FlaskForm,),
    {
        **{spec.field_name: _field(spec) for spec in all_settings()},
        "submit": SubmitField("Save the settings"),
    },
)


def _hint(spec: SettingSpec[Any], default_text: str) -> str:
    return f"{spec.meaning} Unit: {spec.unit}. Allowed: {spec.allowed()}. Default: {default_text}."


def _page(form: FlaskForm, status: int) -> tuple[str, int]:
    session = get_session()
    with session.begin():
        hints = {
            spec.name: _hint(spec, spec.text(session, spec.to_stored(spec.default)))
            for spec in all_settings()
        }
        page = paginate(session, setting_history())
        history = history_lines(session, list(page.items))
    page_html = render_template(
        "admin/settings.html",
        form=form,
        sections=registry(),
        hints=hints,
        page=page,
        history=history,
    )
    return page_html, status


def _fill_from_database(form: FlaskForm) -> None:
    """Each field holds the setting as stored; a stored value the readers would refuse is
    marked on its field, so the admin sees what to correct."""
    session = get_session()
    with session.begin():
        for spec in all_settings():
            field = form[spec.field_name]
            try:
                stored = spec.stored(session)
                field.data = spec.text(session, stored)
                spec.check(stored)
            except SettingInvalid as invalid:
                field.errors = [f"The value stored now cannot be used. {invalid.message}"]


@bp.route("/settings")
def settings() -> tuple[str, int]:
    form = SettingsForm(formdata=None)
    _fill_from_database(form)
    return _page(form, 200)


@bp.route("/settings", methods=["POST"])
def save_settings() -> Response | tuple[str, int]:
    form = SettingsForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    typed = {spec.name: form[spec.field_name].data or "" for spec in all_settings()}
    session = get_session()
    try:
        with session.begin():
            changes = change_settings(session, signed_in_user(), typed)
    except SettingsRefused as refused:
        for spec in all_settings():
            if spec.name in refused.errors:
                form[spec.field_name].errors = [refused.errors[spec.name]]
        return _page(form, 400)
    if changes:
        names = ", ".join(f"{change.label} ({change.old} → {change.new})" for change in changes)
        flash(f"Saved: {names}. Each takes effect as its section says.", "success")
    else:
        flash("Nothing changed: every value was as saved.", "info")
    return redirect(url_for(".settings"))
