"""/admin/courts: the court list (paginated), adding and editing a court, closing or reopening
it, and removing one no record refers to (models.courts; every change audited)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from models.courts import (
    CourtInvalid,
    CourtRefused,
    add_court,
    court_use,
    edit_court,
    remove_court,
    set_court_open,
)
from models.entities import AttorneyCourt, Child, Court

from ..extensions import get_session
from ..pagination import paginate
from ..security import signed_in_user
from . import bp
from .forms import CourtActionForm, CourtForm


@bp.route("/courts")
def courts() -> str:
    db = get_session()
    children = (
        select(func.count()).where(Child.court_id == Court.id).correlate(Court).scalar_subquery()
    )
    attorneys = (
        select(func.count())
        .where(AttorneyCourt.court_id == Court.id)
        .correlate(Court)
        .scalar_subquery()
    )
    with db.begin():
        page = paginate(
            db,
            select(Court, children.label("children"), attorneys.label("attorneys")).order_by(
                Court.state, Court.city, Court.code
            ),
            scalars=False,
        )
    return render_template("admin/courts.html", page=page)


@bp.route("/courts/new", methods=["GET", "POST"])
def court_new() -> Response | tuple[str, int]:
    form = CourtForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            with db.begin():
                court = add_court(db, form.text(), signed_in_user())
        except CourtInvalid as invalid:
            form.add_errors(invalid.errors)
        else:
            flash(f"Court {court.code} added; it is offered in profiles and imports.", "success")
            return redirect(url_for(".courts"))
    page = render_template("admin/court.html", form=form, court=None, use=None)
    return page, 400 if form.is_submitted() else 200


@bp.route("/courts/<id:court_id>", methods=["GET", "POST"])
def court(court_id: int) -> Response | tuple[str, int]:
    db = get_session()
    form = CourtForm()
    with db.begin():
        found = db.get(Court, court_id)
        if found is None:
            abort(404)
        use = court_use(db, court_id)
        if not form.is_submitted():
            form.process(obj=found)
            form.latitude.data = f"{found.latitude:g}"
            form.longitude.data = f"{found.longitude:g}"
    if form.validate_on_submit():
        try:
            with db.begin():
                changed = edit_court(db, court_id, form.text(), signed_in_user())
        except CourtInvalid as invalid:
            form.add_errors(invalid.errors)
        except LookupError:
            abort(404)
        else:
            if changed:
                flash(f"Saved: {', '.join(name.replace('_', ' ') for name in changed)}.", "success")
            else:
                flash("Nothing changed: the court already said this.", "info")
            return redirect(url_for(".court", court_id=court_id))
    page = render_template(
        "admin/court.html", form=form, court=found, use=use, action_form=CourtActionForm()
    )
    return page, 400 if form.is_submitted() else 200


def _court_action(court_id: int, step: str) -> Response:
    if not CourtActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        with db.begin():
            if step == "remove":
                code = remove_court(db, court_id, signed_in_user())
                message = f"Court {code} removed."
            else:
                court = set_court_open(db, court_id, step == "reopen", signed_in_user())
                message = (
                    f"Court {court.code} reopened: it is offered for new choices again."
                    if court.active
                    else f"Court {court.code} closed: its children and attorneys keep it and "
                    "are still matched; it is no longer offered for new choices."
                )
    except LookupError:
        abort(404)
    except CourtRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for(".court", court_id=court_id))
    flash(message, "success")
    return redirect(
        url_for(".courts") if step == "remove" else url_for(".court", court_id=court_id)
    )


@bp.route("/courts/<id:court_id>/close", methods=["POST"])
def court_close(court_id: int) -> Response:
    return _court_action(court_id, "close")


@bp.route("/courts/<id:court_id>/reopen", methods=["POST"])
def court_reopen(court_id: int) -> Response:
    return _court_action(court_id, "reopen")


@bp.route("/courts/<id:court_id>/remove", methods=["POST"])
def court_remove(court_id: int) -> Response:
    return _court_action(court_id, "remove")
