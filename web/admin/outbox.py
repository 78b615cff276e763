"""GET /admin/outbox: every e-mail queued, sent or given up on, newest first; POST
/admin/outbox/<id>/resend queues a failed one again (models.outbox.resend_failed, audited).

Bodies are shown only in development: they may hold one-time links (password resets,
invitations), which would let whoever reads them into someone else's account.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models.entities import OutboxMessage
from models.outbox import ResendRefused, resend_failed

from ..extensions import get_session
from ..pagination import paginate
from ..security import signed_in_user
from . import bp
from .forms import ResendForm


@bp.route("/outbox")
def outbox() -> str:
    db = get_session()
    with db.begin():
        newest_first = select(OutboxMessage).order_by(
            OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
        )
        page = paginate(db, newest_first)
    return render_template(
        "admin/outbox.html",
        page=page,
        show_bodies=current_app.config["ENV_NAME"] == "development",
        mail_configured=current_app.config["MAIL"] is not None,
        resend_form=ResendForm(),
    )


@bp.route("/outbox/<id:message_id>/resend", methods=["POST"])
def outbox_resend(message_id: int) -> Response:
    if not ResendForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        with db.begin():
            message = resend_failed(db, message_id, signed_in_user())
            to = message.to_address
    except LookupError:
        abort(404)
    except ResendRefused as refused:
        flash(str(refused), "error")
    else:
        when = (
            "within a minute" if current_app.config["MAIL"] is not None else "once SMTP_URL is set"
        )
        flash(f"E-mail {message_id} to {to} queued again; it is tried {when}.", "success")
    page = request.form.get("page", "")
    return redirect(url_for(".outbox", page=page) if page.isdigit() else url_for(".outbox"))
