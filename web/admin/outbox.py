"""GET /admin/outbox: every e-mail queued, sent or given up on, newest first.

Bodies are shown only in development: they may hold one-time links (password resets,
invitations), which would let whoever reads them into someone else's account.
"""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import select

from models.entities import OutboxMessage

from ..extensions import get_session
from ..pagination import paginate
from . import bp


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
    )
