"""GET/POST /login and POST /logout, recorded in the audit trail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models import audit
from models.base import utcnow
from models.entities import AuditEvent

from ..extensions import get_session
from ..security import (
    SignedInUser,
    find_user_by_credentials,
    is_safe_next,
    normalise_email,
    signed_in_user,
)
from .forms import LoginForm

bp = Blueprint("auth", __name__)

# One message for an unknown email, a wrong password and a switched-off account alike, so the
# page never tells an attacker which emails have accounts.
BAD_CREDENTIALS = "That email address and password do not match an active account."
# After this many failed sign-ins for one email address within the window, that address is
# refused until the window has passed, whatever the password: guessing stays slow.
MAX_FAILED_SIGN_INS = 5
FAILED_SIGN_IN_WINDOW = timedelta(minutes=15)
TOO_MANY_ATTEMPTS = (
    "Too many failed sign-ins for this email address. Wait 15 minutes and try again, or ask an "
    "administrator to check the account."
)


def account_key(email: str) -> str:
    """The audit trail's key for sign-in attempts at one address (a hash: no email is stored)."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]


def recent_failures(db: Session, key: str) -> int:
    since = utcnow() - FAILED_SIGN_IN_WINDOW
    return (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.entity_type == "sign_in",
                AuditEvent.entity_id == key,
                AuditEvent.action == "sign_in_failed",
                AuditEvent.at >= since,
            )
        )
        or 0
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    next_path = request.args.get("next")
    if not is_safe_next(next_path):
        next_path = None
    if current_user.is_authenticated:
        return redirect(next_path or url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        key = account_key(form.email.data or "")
        with db.begin():
            if recent_failures(db, key) >= MAX_FAILED_SIGN_INS:
                audit.record(db, "anonymous", "sign_in_throttled", "sign_in", key)
                throttled = True
            else:
                throttled = False
                user = find_user_by_credentials(form.email.data or "", form.password.data or "")
                if user is not None and user.active:
                    user.last_login_at = utcnow()
                    audit.record(db, user, "sign_in", "user", user.id)
                else:
                    reason = "inactive" if user is not None else "bad_credentials"
                    audit.record(db, "anonymous", "sign_in_failed", "sign_in", key, reason=reason)
                    user = None
        if throttled:
            page = render_template(
                "auth/login.html", form=form, error=TOO_MANY_ATTEMPTS, next_path=next_path
            )
            return Response(page, status=429, mimetype="text/html")
        if user is None:
            return render_template(
                "auth/login.html", form=form, error=BAD_CREDENTIALS, next_path=next_path
            )
        # A fresh session at sign-in: nothing set before it (by anyone) carries over.
        session.clear()
        login_user(SignedInUser(user))
        return redirect(next_path or url_for("home.index"))
    return render_template("auth/login.html", form=form, error=None, next_path=next_path)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    db = get_session()
    with db.begin():
        user = signed_in_user()
        audit.record(db, user, "sign_out", "user", user.id)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
