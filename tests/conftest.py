"""Shared fixtures: a migrated database on SQLite and, where TEST_DATABASE_URL is set, PostgreSQL.

Tests that take `db` (or anything built on it) run once per backend. Reference data (courts,
languages) is loaded once per backend; every other table is emptied before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fixtures.factories import factories_bound
from models.base import Base
from models.db import Database, migrate, normalise_url
from models.entities import Language
from models.languages import shipped_languages
from models.reference import load_reference_data
from web import create_app

REFERENCE_TABLES = {"courts", "languages", "language_aliases"}
TODAY = date.today()


def days(n: int, *, after: date = TODAY) -> date:
    """The date `n` days after `after` (today unless given); a negative `n` goes back."""
    return after + timedelta(days=n)


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append("postgresql")
    elif os.environ.get("CI"):
        raise pytest.UsageError(
            "CI must set TEST_DATABASE_URL so the suite also runs on PostgreSQL"
        )
    return backends


def _worker_schema() -> str:
    """The PostgreSQL schema of this test process: `public`, or one per pytest-xdist worker so
    that parallel workers share the database without seeing each other's rows."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"test_{worker}" if worker else "public"


def _postgres_url(url: str, schema: str) -> str:
    """`url` with every connection's search path set to `schema` (so the app, the CLI and the
    processes a test starts all use it)."""
    if schema == "public":
        return url
    parsed = make_url(normalise_url(url))
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def _reset_postgres_schema(database: Database, schema: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))


@pytest.fixture(scope="session", params=_backends())
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database with reference data, one per backend for the whole session."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        database = Database(url)
    else:
        schema = _worker_schema()
        database = Database(_postgres_url(os.environ["TEST_DATABASE_URL"], schema))
        _reset_postgres_schema(database, schema)
    migrate(database.engine)
    with database.session() as session, session.begin():
        load_reference_data(session)
    yield database
    database.dispose()


def empty_tables(database: Database) -> None:
    """Remove every row except the reference data, keeping the schema."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def db(database: Database) -> Database:
    """The backend's database, emptied of everything but reference data."""
    empty_tables(database)
    return database


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as session:
        yield session


@pytest.fixture
def factories(session: Session) -> Iterator[Session]:
    """The session with every factory bound to it; commit for an app or server to see rows."""
    with factories_bound(session):
        yield session


@pytest.fixture
def app(db: Database) -> Iterator[Flask]:
    """The web app (and CLI) on the test database, CSRF on."""
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": db.url})
    yield app
    app.extensions["counselmatch_db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def interpreters_restored(db: Database) -> Iterator[None]:
    """For a test that changes the interpreter languages: the language table (reference data,
    kept between tests) gets the shipped interpreter flags back afterwards."""
    yield
    shipped = [entry.code for entry in shipped_languages() if entry.interpreter_available]
    with db.engine.begin() as connection:
        connection.execute(
            update(Language).values(interpreter_available=Language.code.in_(shipped))
        )
