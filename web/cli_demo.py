"""`counselmatch seed-demo`: realistic demo data and one sign-in per role, for `make run`."""

from __future__ import annotations

import secrets
from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import case, func, inspect, select
from sqlalchemy.orm import Session

from fixtures.demo import DEMO_ATTORNEY_EXTERNAL_ID, csv_text, generate
from fixtures.history import build_history
from jobs.matching import run_match
from models import audit
from models.csv_formats import DATA_KINDS, CsvKind
from models.db import Database
from models.entities import Attorney, Child, Court, Role, User
from models.imports import ImportFailed, import_csv

from .cli_users import check_password
from .extensions import get_db
from .security import hash_password

DEMO_USERS = (
    ("coordinator@demo.test", Role.COORDINATOR),
    ("attorney@demo.test", Role.ATTORNEY),
    ("lead@demo.test", Role.PROGRAM_LEAD),
    ("admin@demo.test", Role.ADMIN),
)
DEMO_ATTORNEY_EMAIL = "attorney@demo.test"
ACTOR = "cli"


@click.command("seed-demo")
@click.option("--children", default=2000, show_default=True, type=click.IntRange(min=0))
@click.option("--attorneys", default=400, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=42, show_default=True, help="Same seed, same data.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day hearing dates and leave are counted from (YYYY-MM-DD; default: today).",
)
@click.option(
    "--password",
    help="Password of the four demo accounts; if left out, one is generated and shown.",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load the data only when no child is recorded yet; the demo accounts are made (or "
    "their password set) either way.",
)
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="After loading, run the matcher once and give its proposals 30 days of history "
    "(decisions, answers, closed cases, daily snapshots), so every report has data.",
)
@with_appcontext
def seed_demo(
    children: int,
    attorneys: int,
    seed: int,
    as_of: datetime | None,
    password: str | None,
    if_empty: bool,
    history: bool,
) -> None:
    """Load generated children, attorneys and conflicts, and make one demo account per role."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException(
            "seed-demo creates demo accounts with a known password and invented children: it is "
            "refused in production. Set COUNSELMATCH_ENV=development for a demo database."
        )
    if password is not None:
        check_password(password)
    secret = password if password is not None else secrets.token_urlsafe(12)
    day = as_of.date() if as_of else date.today()
    database = get_db()
    if not inspect(database.engine).has_table(Child.__tablename__):
        raise click.ClickException(
            "The database has no tables yet: run `counselmatch init-db` first."
        )
    with database.session() as session, session.begin():
        if session.scalar(select(func.count()).select_from(Court)) == 0:
            raise click.ClickException(
                "The court list is empty: run `counselmatch init-db` to load it first."
            )
        recorded = session.scalar(select(func.count()).select_from(Child)) or 0
        loaded: dict[CsvKind, int] = {}
        if if_empty and recorded:
            click.echo(
                f"{recorded:,} children are already recorded: demo data not loaded (--if-empty)."
            )
        else:
            loaded = _load(session, children=children, attorneys=attorneys, seed=seed, as_of=day)
            click.echo(
                f"Loaded demo data (seed {seed}, as of {day.isoformat()}): "
                + ", ".join(f"{count:,} {kind.value}" for kind, count in loaded.items())
                + "."
            )
        users = _ensure_demo_users(session, secret)
        audit.record(
            session,
            ACTOR,
            "seed_demo",
            "database",
            loaded={kind.value: count for kind, count in loaded.items()},
            seed=seed if loaded else None,
            as_of=day.isoformat() if loaded else None,
            users=[user.email for user in users],
        )
        lines = [_describe(session, user) for user in users]
    if loaded and history and loaded.get(CsvKind.CHILDREN):
        click.echo(_history(database, day, seed))
    shown = secret if password is None else "as given with --password"
    click.echo(f"Demo sign-ins (password: {shown}):")
    for line in lines:
        click.echo(f"  {line}")


def _history(database: Database, day: date, seed: int) -> str:
    """One run, then a history for its proposals (fixtures.history)."""
    outcome = run_match(database, as_of=day, trigger="demo")
    summary = build_history(database, as_of=day, seed=seed)
    counts = ", ".join(
        f"{n:,} {status.value}" for status, n in summary.matches_by_status.items() if n
    )
    return (
        f"Demo history: run {outcome.run_id}'s proposals became {counts}; "
        f"{summary.snapshots} daily snapshots."
    )


def _load(
    session: Session, *, children: int, attorneys: int, seed: int, as_of: date
) -> dict[CsvKind, int]:
    """Import the generated files through the one import path, in the caller's transaction."""
    data = generate(children=children, attorneys=attorneys, seed=seed, as_of=as_of)
    counts: dict[CsvKind, int] = {}
    for kind in DATA_KINDS:
        rows = data.rows(kind)
        if not rows:  # the import refuses a file without data rows
            counts[kind] = 0
            continue
        try:
            summary = import_csv(
                session,
                kind,
                csv_text(kind, rows).encode("utf-8"),
                actor=ACTOR,
                filename=f"demo-{kind.value}.csv",
            )
        except ImportFailed as failed:
            raise click.ClickException(
                f"The demo {kind.value} did not import, so nothing was changed:\n{failed}"
            ) from None
        counts[kind] = summary.rows
    return counts


def _ensure_demo_users(session: Session, password: str) -> list[User]:
    """One active account per role with this password; the attorney one has a profile."""
    users = []
    for email, role in DEMO_USERS:
        user = session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            user = User(email=email, role=role)
            session.add(user)
        user.role = role
        user.active = True
        user.password_hash = hash_password(password)
        if role == Role.ATTORNEY and user.attorney_id is None:
            session.flush()
            user.attorney = _demo_attorney(session, user)
        users.append(user)
    session.flush()
    return users


def _demo_attorney(session: Session, user: User) -> Attorney | None:
    """The generated demo profile if present, else the first attorney no other account holds."""
    other_accounts = select(User.attorney_id).where(
        User.attorney_id.is_not(None), User.id != user.id
    )
    return session.scalar(
        select(Attorney)
        .where(Attorney.id.not_in(other_accounts))
        .order_by(
            case((Attorney.external_id == DEMO_ATTORNEY_EXTERNAL_ID, 0), else_=1), Attorney.id
        )
        .limit(1)
    )


def _describe(session: Session, user: User) -> str:
    line = f"{user.email:<24} {user.role.value}"
    if user.attorney_id is not None:
        attorney = session.get(Attorney, user.attorney_id)
        if attorney is not None:
            line += f" (profile {attorney.external_id}, {attorney.name})"
    elif user.role == Role.ATTORNEY:
        line += " (no attorney profile: no attorneys are recorded)"
    return line
