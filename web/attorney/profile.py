"""GET/POST /attorney/profile (the attorney's own profile and availability) and their leave:
GET /attorney/leave, POST add, GET/POST edit, POST remove.

Every view acts on the signed-in attorney's own profile only (`own_attorney_id`); a leave id of
another attorney is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from models.entities import LeavePeriod
from models.leave import (
    LeaveInvalid,
    add_leave,
    change_leave,
    leave_periods,
    own_leave,
    remove_leave,
)

from ..extensions import get_session
from ..profile_form import edit_profile_page
from ..security import signed_in_user
from . import bp, own_attorney_id
from .forms import LeaveForm, RemoveLeaveForm


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> str | Response | tuple[str, int]:
    return edit_profile_page(
        own_attorney_id(),
        heading="Your profile and availability",
        action=url_for(".profile"),
        show_name=False,
        leave_url=url_for(".leave"),
    )


def _leave_page(form: LeaveForm, status: int = 200) -> tuple[str, int]:
    session = get_session()
    with session.begin():
        periods = leave_periods(session, own_attorney_id())
    page = render_template(
        "attorney/leave.html",
        periods=periods,
        form=form,
        remove_form=RemoveLeaveForm(formdata=None),
        today=date.today(),
    )
    return page, status


@bp.route("/leave")
def leave() -> tuple[str, int]:
    return _leave_page(LeaveForm(formdata=None))


def _add_errors(form: LeaveForm, invalid: LeaveInvalid) -> None:
    for name, messages in invalid.errors.items():
        field = form[name]
        field.errors = [*field.errors, *messages]


def _save_leave(form: LeaveForm, leave_id: int | None, done: str) -> Response | None:
    """Add the form's period (`leave_id` None) or move period `leave_id` to it, in one
    transaction: the redirect to the leave page with `done` flashed, or None with the model's
    messages put on the form (nothing written)."""
    assert form.start_date.data is not None and form.end_date.data is not None
    start, end = form.start_date.data, form.end_date.data
    session = get_session()
    try:
        with session.begin():
            if leave_id is None:
                add_leave(session, own_attorney_id(), start, end, date.today(), signed_in_user())
            else:
                change_leave(
                    session, own_attorney_id(), leave_id, start, end, date.today(), signed_in_user()
                )
    except LeaveInvalid as invalid:
        _add_errors(form, invalid)
        return None
    flash(done, "success")
    return redirect(url_for(".leave"))


@bp.route("/leave", methods=["POST"])
def add_leave_period() -> Response | tuple[str, int]:
    form = LeaveForm()
    if form.validate_on_submit():
        saved = _save_leave(form, None, "Leave saved. It takes effect at the next nightly match.")
        if saved is not None:
            return saved
    return _leave_page(form, 400)


def _own_period(leave_id: int) -> LeavePeriod:
    """The signed-in attorney's leave period `leave_id`; 404 when it is not theirs."""
    try:
        return own_leave(get_session(), own_attorney_id(), leave_id)
    except LookupError:
        abort(404)


@bp.route("/leave/<id:leave_id>/edit", methods=["GET", "POST"])
def edit_leave(leave_id: int) -> str | Response | tuple[str, int]:
    session = get_session()
    form = LeaveForm()
    with session.begin():
        period = _own_period(leave_id)
        if not form.is_submitted():
            form.start_date.data, form.end_date.data = period.start_date, period.end_date
    if form.validate_on_submit():
        saved = _save_leave(
            form, leave_id, "Leave changed. It takes effect at the next nightly match."
        )
        if saved is not None:
            return saved
    page = render_template("attorney/leave_edit.html", form=form, leave_id=leave_id)
    return page, 400 if form.is_submitted() else 200


@bp.route("/leave/<id:leave_id>/remove", methods=["POST"])
def remove_leave_period(leave_id: int) -> Response:
    form = RemoveLeaveForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    with session.begin():
        _own_period(leave_id)
        remove_leave(session, own_attorney_id(), leave_id, signed_in_user())
    flash("Leave removed. It takes effect at the next nightly match.", "success")
    return redirect(url_for(".leave"))
