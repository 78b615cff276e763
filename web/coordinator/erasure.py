"""GET/POST /children/<id>/erase: a coordinator erases a closed case's personal data on request.

The page says what goes and what stays, and asks for a reason and an explicit yes; the erasure
itself (models.erasure.erase_child) is audited without the erased data. Coordinators only: the
blueprint's role, as every child page.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from models.erasure import ErasureRefused, erase_child
from models.settings import retention_years

from ..extensions import get_session
from ..security import signed_in_user
from . import bp
from .forms import EraseForm
from .pages import load_child, render_child_page


@bp.route("/children/<id:child_id>/erase", methods=["GET", "POST"])
def child_erase(child_id: int) -> Response | tuple[str, int]:
    session = get_session()
    form = EraseForm()
    refusal = None
    if form.validate_on_submit():
        try:
            with session.begin():
                erase_child(
                    session, child_id, signed_in_user(), form.reason.data, form.note.data or ""
                )
        except LookupError:
            abort(404)
        except ErasureRefused as refused:
            refusal = str(refused)
        else:
            flash(
                "The personal data are erased: names, A-number, birth date and notes. The "
                "anonymous facts stay for the reports.",
                "success",
            )
            return redirect(url_for(".child", child_id=child_id))
    with session.begin():
        row = load_child(session, child_id)
        page = render_child_page(
            "coordinator/child_erase.html",
            row,
            date.today(),
            form=form,
            refusal=refusal,
            retention_years=retention_years(session),
        )
    return page, 400 if form.is_submitted() else 200
