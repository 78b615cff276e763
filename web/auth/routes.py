"""GET/POST /login, POST /logout, /forgot-password, /reset/<token> and /account.

Sign-in opens a server-side session (models.accounts) that sign-out, a password change and a
reset end; resets, invitations accepted and password changes are recorded in the audit trail.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from models import accounts, audit
from models.base import utcnow
from models.entities import TokenPurpose, User

from ..extensions import get_session
from ..security import (
    SignedInUser,
    find_user_by_credentials,
    hash_password,
    is_safe_next,
    normalise_email,
    signed_in_user,
    site_base_url,
)
from .forms import (
    NEW_PASSWORD_HINT,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)

bp = Blueprint("auth", __name__)


@bp.context_processor
def password_hint() -> dict[str, str]:
    return {"new_password_hint": NEW_PASSWORD_HINT}


# One message for an unknown email, a wrong password and a switched-off account alike, so the
# page never tells an attacker which emails have accounts.
BAD_CREDENTIALS = "That email address and password do not match an active account."
TOO_MANY_ATTEMPTS = (
    "Too many failed sign-ins for this email address. Wait "
    f"{accounts.FAILED_SIGN_IN_WINDOW.seconds // 60} minutes and try again, or ask an "
    "administrator to unlock the address."
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
        key = accounts.account_key(form.email.data or "")
        with db.begin():
            if accounts.is_throttled(accounts.recent_failures(db, key)):
                audit.record(db, "anonymous", "sign_in_throttled", accounts.SIGN_IN_ENTITY, key)
                throttled = True
            else:
                throttled = False
                user = find_user_by_credentials(form.email.data or "", form.password.data or "")
                if user is not None and user.active:
                    user.last_login_at = utcnow()
                    session_key = accounts.start_session(db, user)
                    audit.record(db, user, "sign_in", "user", user.id)
                else:
                    reason = "inactive" if user is not None else "bad_credentials"
                    audit.record(
                        db,
                        "anonymous",
                        accounts.SIGN_IN_FAILED,
                        accounts.SIGN_IN_ENTITY,
                        key,
                        reason=reason,
                    )
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
        login_user(SignedInUser(user, session_key))
        return redirect(next_path or url_for("home.index"))
    return render_template("auth/login.html", form=form, error=None, next_path=next_path)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    db = get_session()
    with db.begin():
        user = signed_in_user()
        # Ended on the server: a copy of the cookie taken before sign-out opens nothing.
        accounts.revoke_session(db, cast(SignedInUser, current_user).session_key)
        audit.record(db, user, "sign_out", "user", user.id)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


# --- forgotten password ----------------------------------------------------------------------

LINK_SENT = (
    "If an account exists for that address, we have sent it a link to choose a new password. "
    "The link works once, within an hour. Check your spam folder if nothing arrives."
)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> str:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = get_session()
        with db.begin():
            # Queued only for an active account; the page answers the same for any address.
            accounts.request_password_reset(
                db, normalise_email(form.email.data or ""), site_base_url()
            )
        return render_template("auth/forgot_sent.html", message=LINK_SENT)
    return render_template("auth/forgot.html", form=form)


# --- one-time links (reset, invitation) ------------------------------------------------------

LINK_PROBLEMS = {
    accounts.TokenProblem.UNKNOWN: (
        404,
        "This link is not valid. Copy the whole link from the e-mail, or ask for a new one.",
    ),
    accounts.TokenProblem.USED: (
        400,
        "This link has already been used. Each link works once: ask for a new one if you need "
        "to choose a password again.",
    ),
    accounts.TokenProblem.EXPIRED: (
        400,
        "This link has expired. Ask for a new one: reset links last an hour, invitations 72 hours.",
    ),
}


def _link_refused(problem: accounts.TokenProblem) -> tuple[str, int]:
    status, message = LINK_PROBLEMS[problem]
    return render_template("auth/link_refused.html", message=message), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    db = get_session()
    try:
        with db.begin():
            purpose = accounts.check_token(db, token).purpose
    except accounts.TokenRefused as refused:
        # Rendered after the transaction: the page's header loads the signed-in user.
        return _link_refused(refused.problem)
    form = NewPasswordForm()
    if form.validate_on_submit():
        password_hash = hash_password(form.password.data or "")
        try:
            with db.begin():
                user, purpose = accounts.use_token(db, token, password_hash)
                accepted = purpose == TokenPurpose.INVITE
                action = "invitation_accepted" if accepted else "password_reset"
                audit.record(db, user, action, "user", user.id)
        except accounts.TokenRefused as refused:
            return _link_refused(refused.problem)
        logout_user()
        session.clear()
        flash("Your password is saved. Sign in with it.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, token=token, purpose=purpose)


# --- own account -----------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = signed_in_user()
        if not check_password_hash(me.password_hash, form.current.data or ""):
            form.current.errors = [*form.current.errors, "That is not your current password."]
        else:
            password_hash = hash_password(form.password.data or "")
            db = get_session()
            with db.begin():
                user = db.get_one(User, me.id)
                ended = accounts.set_password(
                    db,
                    user,
                    password_hash,
                    keep_session=cast(SignedInUser, current_user).session_key,
                )
                audit.record(db, user, "password_changed", "user", user.id, sessions_ended=ended)
            flash(
                "Your password is changed. Anywhere else your account was signed in, it is "
                "signed out now.",
                "info",
            )
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
