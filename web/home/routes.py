"""GET / : what each role needs to see first."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from matcher.rules import T1_WITHIN_DAYS, T2_WITHIN_DAYS, T3_WITHIN_DAYS, Tier
from models import capacity, queries
from models.entities import Role

from ..extensions import get_session
from ..security import ROLE_LABELS
from .navigation import nav_links

bp = Blueprint("home", __name__)

TIER_MEANINGS = {
    Tier.T1: f"hearing within {T1_WITHIN_DAYS} days, hearing date passed, or detained",
    Tier.T2: f"hearing within {T2_WITHIN_DAYS} days",
    Tier.T3: f"hearing within {T3_WITHIN_DAYS} days",
    Tier.T4: "later hearing or no hearing date yet",
}


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    return {"nav_links": nav_links, "role_labels": ROLE_LABELS}


@bp.route("/")
@login_required
def index() -> str:
    as_of = date.today()
    session = get_session()
    role = current_user.role
    if role == Role.ATTORNEY:
        load = None
        if current_user.attorney_id is not None:
            load = capacity.attorney_load(session, current_user.attorney_id, as_of)
        return render_template("home/attorney.html", load=load, as_of=as_of)
    overview = {
        "as_of": as_of,
        "children": queries.count_children(session),
        "without_counsel": queries.children_without_counsel_by_tier(session, as_of),
        "capacity": capacity.free_slots_summary(session, as_of),
        "tier_meanings": TIER_MEANINGS,
    }
    if role == Role.ADMIN:
        return render_template(
            "home/admin.html", users_by_role=queries.users_by_role(session), **overview
        )
    return render_template("home/overview.html", **overview)
