"""Every extension object in one place, and the request-scoped database session."""

from __future__ import annotations

from flask import current_app, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from models.db import Database

csrf = CSRFProtect()
login_manager = LoginManager()


def get_db() -> Database:
    database: Database = current_app.extensions["counselmatch_db"]
    return database


def get_session() -> Session:
    """The session of this request or command; closed at the end of the app context."""
    if "db_session" not in g:
        g.db_session = get_db().session()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
