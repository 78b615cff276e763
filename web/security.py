"""Who may see what: the signed-in user, role checks, safe redirects and security headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_login import UserMixin, current_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from models.accounts import find_session_user, has_usable_password, normalise_email
from models.entities import Role, User
from models.settings import public_base_url

from .extensions import get_session, login_manager

ROLE_LABELS = {
    Role.COORDINATOR: "Coordinator",
    Role.ATTORNEY: "Attorney",
    Role.PROGRAM_LEAD: "Program lead",
    Role.ADMIN: "Administrator",
}

# Only what the pages need: our own styles, images and forms; no inline script or style, no
# framing (clickjacking), no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

F = TypeVar("F", bound=Callable[..., Any])


class SignedInUser(UserMixin):
    """The Flask-Login view of a `User` row (the model stays free of web concerns).

    Its id, kept in the session cookie, names the server-side session ("<session id>.<secret>",
    models.accounts.start_session), so signing out or a password change ends it on the server.
    """

    def __init__(self, user: User, session_key: str) -> None:
        self.user = user
        self.session_key = session_key

    def get_id(self) -> str:
        return self.session_key

    @property
    def is_active(self) -> bool:
        return self.user.active

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def attorney_id(self) -> int | None:
        return self.user.attorney_id


def load_user(session_key: str) -> SignedInUser | None:
    """Flask-Login's user loader: only a live server-side session of an active account counts,
    so a revoked session (signed out, password changed) or a switched-off account is signed out
    on its next request, whatever cookie the browser still holds."""
    session = get_session()
    # The read ends its own transaction so that a view can open `with session.begin():` later.
    with session.begin():
        user = find_session_user(session, session_key)
    if user is None:
        return None
    return SignedInUser(user, session_key)


def signed_in_user() -> User:
    """The `User` row of the request's signed-in user (use behind `role_required`)."""
    if not current_user.is_authenticated:
        raise RuntimeError("signed_in_user() called on a request nobody is signed in to")
    return cast(SignedInUser, current_user).user


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def find_user_by_credentials(email: str, password: str) -> User | None:
    """The user with this email and password, active or not; None if either is wrong."""
    user = get_session().scalar(
        select(User).where(func.lower(User.email) == normalise_email(email)).limit(1)
    )
    if user is None or not has_usable_password(user):
        # Spend the time a wrong password costs, so the answer does not tell which emails exist
        # (or which were invited and have not chosen a password yet).
        check_password_hash(_unknown_user_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


@cache
def _unknown_user_hash() -> str:
    return generate_password_hash("not the password of anyone")


def site_base_url() -> str:
    """The site's address for links sent by e-mail: the `app.base_url` setting, the one source
    the offer e-mails use too (never the request's Host header, which the visitor chooses)."""
    return public_base_url(get_session())


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site ("/review?x=1"); false for anything that leaves it.

    Refuses absolute URLs, scheme-relative ones ("//evil.example"), backslashes (which browsers
    read as slashes) and control characters: stricter than microblog's netloc check.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _refuse_unless_role(roles: tuple[Role, ...]) -> Response | None:
    """None when the signed-in user holds one of `roles`; else the way out (sign-in or 403)."""
    if not current_user.is_authenticated:
        response: Response = login_manager.unauthorized()
        return response
    if current_user.role not in roles:
        abort(403)
    return None


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let only signed-in users with one of `roles` reach the view.

    Anonymous visitors are sent to the sign-in page (coming back afterwards); anyone else gets 403.
    On a blueprint guarded by `require_roles_for_blueprint`, these roles replace the blueprint's
    for this view only.
    """
    if not roles:
        raise ValueError("role_required() needs at least one role")

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refusal = _refuse_unless_role(roles)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        guarded.allowed_roles = roles  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorator


def require_roles_for_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Apply `role_required(*roles)` to every view of `blueprint`, present and future."""
    if not roles:
        raise ValueError("require_roles_for_blueprint() needs at least one role")

    def check() -> Response | None:
        # A view that names its own roles with `role_required` (say, coordinators and admins)
        # is guarded by those instead; every other view of the blueprint keeps `roles`.
        view = current_app.view_functions.get(request.endpoint or "")
        return _refuse_unless_role(getattr(view, "allowed_roles", roles))

    blueprint.before_request(check)


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages show case data: keep them out of shared caches and the back button after sign-out.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Configure Flask-Login and the response headers for `app`."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.after_request(add_security_headers)
    if app.config["ENV_NAME"] == "production":
        app.after_request(_add_hsts)


def _add_hsts(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
