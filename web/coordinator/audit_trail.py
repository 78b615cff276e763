"""GET /audit: the audit trail, newest first, filtered by who, what, which record and when.

Coordinators and administrators read the same page (this view names both roles; the rest of
the coordinator blueprint stays coordinator-only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from models.entities import AuditEvent, Role

from ..extensions import get_session
from ..pagination import paginate
from ..security import role_required
from . import bp
from .forms import AuditFilterForm
from .pages import render_list_page

# Longest details text shown in the list; the rest is behind a disclosure.
DETAILS_SHOWN = 120


@bp.route("/audit")
@role_required(Role.COORDINATOR, Role.ADMIN)
def audit() -> str:
    session = get_session()
    form = AuditFilterForm()
    form.set_choices(
        actions=list(session.scalars(select(AuditEvent.action).distinct().order_by("action"))),
        entity_types=list(
            session.scalars(select(AuditEvent.entity_type).distinct().order_by("entity_type"))
        ),
    )
    chosen = form.chosen()
    page = paginate(
        session,
        select(AuditEvent)
        .where(*_conditions(chosen))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()),
    )
    return render_list_page(
        "coordinator/audit.html",
        form,
        chosen,
        page,
        compact=compact_details,
        in_full=details_in_full,
    )


def _conditions(chosen: dict[str, Any]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if "actor" in chosen:
        conditions.append(
            func.lower(AuditEvent.actor).contains(chosen["actor"].strip().lower(), autoescape=True)
        )
    if "action" in chosen:
        conditions.append(AuditEvent.action == chosen["action"])
    if "entity_type" in chosen:
        conditions.append(AuditEvent.entity_type == chosen["entity_type"])
    if "entity_id" in chosen:
        conditions.append(AuditEvent.entity_id == chosen["entity_id"].strip())
    if "date_from" in chosen:
        conditions.append(AuditEvent.at >= datetime.combine(chosen["date_from"], time(), UTC))
    if "date_to" in chosen:
        day_after = datetime.combine(chosen["date_to"] + timedelta(days=1), time(), UTC)
        conditions.append(AuditEvent.at < day_after)
    return conditions


def compact_details(details: dict[str, Any]) -> tuple[str, bool]:
    """`key=value, ...` on one line, and whether it was cut to fit the list."""
    text = ", ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value)}"
        for key, value in details.items()
    )
    return (text[:DETAILS_SHOWN] + "…", True) if len(text) > DETAILS_SHOWN else (text, False)


def details_in_full(details: dict[str, Any]) -> str:
    """Every detail, indented, as written (no escapes for accents or apostrophes)."""
    return json.dumps(details, indent=2, ensure_ascii=False)
