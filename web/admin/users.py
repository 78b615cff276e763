"""GET /admin/users (every account: role, status, last sign-in, locked or not; invite; unlock an
address) and /admin/users/<id> (one account: change the role, link an attorney profile,
deactivate, reactivate, unlock, invite again).

The decisions are models.users' (refused with a message before anything changes, audited);
these views only read the forms and say what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import ColumnElement, func, select
from werkzeug.wrappers import Response

from models import accounts, users
from models.entities import Attorney, AuditEvent, Role, User

from ..extensions import get_session
from ..pagination import paginate
from ..security import ROLE_LABELS, is_safe_next, signed_in_user, site_base_url
from . import bp
from .account_forms import (
    STATUS_LABELS,
    AttorneyLinkForm,
    ButtonForm,
    InviteUserForm,
    RoleForm,
    UnlockForm,
    UserFilterForm,
)

# The account page shows this many of the account's latest audit events.
HISTORY_SHOWN = 20


@dataclass(frozen=True)
class AccountRow:
    """An account as the pages show it."""

    user: User
    status: str  # models.users.ACCOUNT_STATUSES
    attorney_external_id: str | None
    failures: int  # failed sign-ins counting against its address now

    @property
    def locked(self) -> bool:
        return accounts.is_throttled(self.failures)


def _account_select() -> Any:
    return select(User, users.account_status().label("status"), Attorney.external_id).outerjoin(
        Attorney, Attorney.id == User.attorney_id
    )


def _rows(found: Any) -> list[AccountRow]:
    """AccountRows of (User, status, external id) rows, with one query for their failures."""
    failures = accounts.recent_failures_by_key(
        get_session(), [accounts.account_key(row[0].email) for row in found]
    )
    return [
        AccountRow(user, status, external_id, failures.get(accounts.account_key(user.email), 0))
        for user, status, external_id in found
    ]


def _conditions(chosen: dict[str, Any]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if chosen.get("q", "").strip():
        conditions.append(
            func.lower(User.email).contains(chosen["q"].strip().lower(), autoescape=True)
        )
    if "role" in chosen:
        conditions.append(User.role == Role(chosen["role"]))
    if "status" in chosen:
        conditions.append(users.account_status() == chosen["status"])
    return conditions


def _refused_on(form: FlaskForm, refusal: users.AccountRefused) -> None:
    """Show a refusal on its field (or, with no field of the form, at the top)."""
    field = getattr(form, refusal.field or "", None)
    if field is not None:
        field.errors = [*field.errors, refusal.message]
    else:
        flash(refusal.message, "error")


def _list_page(
    invite_form: InviteUserForm | None = None, unlock_form: UnlockForm | None = None
) -> str:
    db = get_session()
    filters = UserFilterForm()
    chosen = filters.chosen()
    with db.begin():
        page = paginate(
            db,
            _account_select().where(*_conditions(chosen)).order_by(User.email, User.id),
            scalars=False,
        )
        rows = _rows(page.items)
    return render_template(
        "admin/users.html",
        form=filters,
        filtered=bool(chosen),
        page=page,
        rows=rows,
        invite_form=invite_form or InviteUserForm(formdata=None),
        unlock_form=unlock_form or UnlockForm(formdata=None),
        status_labels=STATUS_LABELS,
        invite_hours=users.invitation_hours(),
        # Where the rows' buttons come back to: this list, also when it answers a refused form.
        back=request.full_path
        if request.method == "GET" and request.query_string
        else url_for(".users_list"),
    )


@bp.route("/users")
def users_list() -> str:
    return _list_page()


@bp.route("/users/invite", methods=["POST"])
def invite_user() -> str | Response:
    form = InviteUserForm()
    if not form.validate_on_submit():
        return _list_page(invite_form=form)
    db = get_session()
    try:
        with db.begin():
            user = users.invite_user(
                db,
                email=form.email.data or "",
                role=Role(form.role.data),
                invited_by=signed_in_user(),
                base_url=site_base_url(),
                attorney_external_id=form.attorney.data or None,
            )
            user_id, email, linked = user.id, user.email, user.attorney_id
    except users.AccountRefused as refusal:
        _refused_on(form, refusal)
        return _list_page(invite_form=form)
    flash(
        f"Invitation sent to {email}; the link works for {users.invitation_hours()} hours.",
        "success",
    )
    if form.role.data == Role.ATTORNEY.value and linked is None:
        flash(
            "This attorney account is linked to no attorney profile yet: link one below so "
            "they see their offers and cases.",
            "info",
        )
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/users/unlock", methods=["POST"])
def unlock_address() -> str | Response:
    form = UnlockForm()
    if not form.validate_on_submit():
        return _list_page(unlock_form=form)
    db = get_session()
    address = accounts.normalise_email(form.email.data or "")
    try:
        with db.begin():
            failures = users.unlock_address(db, address, signed_in_user())
    except users.AccountRefused as refusal:
        _refused_on(form, refusal)
        return _list_page(unlock_form=form)
    flash(_unlocked(address, failures), "success")
    return redirect(url_for(".users_list"))


def _unlocked(address: str, failures: int) -> str:
    noun = "failed sign-in no longer counts" if failures == 1 else "failed sign-ins no longer count"
    return f"{address} is unlocked: its {failures} {noun}, and it can sign in again now."


# --- one account -----------------------------------------------------------------------------


def _account_page(
    user_id: int,
    role_form: RoleForm | None = None,
    link_form: AttorneyLinkForm | None = None,
) -> str:
    db = get_session()
    with db.begin():
        found = db.execute(_account_select().where(User.id == user_id)).one_or_none()
        if found is None:
            abort(404)
        [row] = _rows([found])
        history = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(HISTORY_SHOWN)
        ).all()
    return render_template(
        "admin/user.html",
        row=row,
        history=history,
        role_form=role_form or RoleForm(formdata=None),
        link_form=link_form or AttorneyLinkForm(formdata=None, attorney=row.attorney_external_id),
        status_labels=STATUS_LABELS,
        back=url_for(".user", user_id=user_id),
    )


@bp.route("/users/<id:user_id>")
def user(user_id: int) -> str:
    return _account_page(user_id)


@bp.route("/users/<id:user_id>/role", methods=["POST"])
def change_role(user_id: int) -> str | Response:
    form = RoleForm()
    if not form.validate_on_submit():
        return _account_page(user_id, role_form=form)
    db = get_session()
    try:
        with db.begin():
            changed = users.change_role(db, user_id, Role(form.role.data), signed_in_user())
            email = changed.email
    except LookupError:
        abort(404)
    except users.AccountRefused as refusal:
        _refused_on(form, refusal)
        return _account_page(user_id, role_form=form)
    flash(f"{email} now has the role {ROLE_LABELS[Role(form.role.data)]}.", "success")
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/users/<id:user_id>/attorney", methods=["POST"])
def link_attorney(user_id: int) -> str | Response:
    form = AttorneyLinkForm()
    if not form.validate_on_submit():
        return _account_page(user_id, link_form=form)
    db = get_session()
    try:
        with db.begin():
            attorney = users.link_attorney(db, user_id, form.attorney.data, signed_in_user())
            linked = f"{attorney.name} ({attorney.external_id})" if attorney else None
    except LookupError:
        abort(404)
    except users.AccountRefused as refusal:
        _refused_on(form, refusal)
        return _account_page(user_id, link_form=form)
    if linked:
        flash(f"The account is linked to the attorney profile of {linked}.", "success")
    else:
        flash("The account is linked to no attorney profile now.", "success")
    return redirect(url_for(".user", user_id=user_id))


def _button(user_id: int, decide: Any) -> Response:
    """Run a button's decision (`decide(db, user_id, admin) -> message`); back to `next`."""
    form = ButtonForm()
    back = form.next.data if is_safe_next(form.next.data) else url_for(".user", user_id=user_id)
    db = get_session()
    try:
        with db.begin():
            message = decide(db, user_id, signed_in_user())
    except LookupError:
        abort(404)
    except users.AccountRefused as refusal:
        flash(refusal.message, "error")
    else:
        flash(message, "success")
    return redirect(back)


@bp.route("/users/<id:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int) -> Response:
    def decide(db: Any, account_id: int, admin: User) -> str:
        ended = users.deactivate(db, account_id, admin)
        email = db.get_one(User, account_id).email
        signed_out = f"; {ended} open session{'s' if ended != 1 else ''} ended" if ended else ""
        return f"{email} is deactivated{signed_out}. Its history stays."

    return _button(user_id, decide)


@bp.route("/users/<id:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int) -> Response:
    def decide(db: Any, account_id: int, admin: User) -> str:
        account = users.reactivate(db, account_id, admin)
        if accounts.has_usable_password(account):
            return f"{account.email} is active again and can sign in with its password."
        return f"{account.email} is active again; invite it again so they can choose a password."

    return _button(user_id, decide)


@bp.route("/users/<id:user_id>/unlock", methods=["POST"])
def unlock_user(user_id: int) -> Response:
    def decide(db: Any, account_id: int, admin: User) -> str:
        account = db.get(User, account_id)
        if account is None:
            raise LookupError(account_id)
        return _unlocked(account.email, users.unlock_address(db, account.email, admin))

    return _button(user_id, decide)


@bp.route("/users/<id:user_id>/invite", methods=["POST"])
def resend_invitation(user_id: int) -> Response:
    def decide(db: Any, account_id: int, admin: User) -> str:
        account = users.resend_invitation(db, account_id, admin, site_base_url())
        return f"A new invitation is sent to {account.email}; earlier links no longer work."

    return _button(user_id, decide)
