"""The attorneys' portal (/attorney/...): their profile and availability, offers, and cases.

One blueprint, its routes split by page group into modules; every view is attorney-only and sees
only the signed-in attorney's own profile, offers and cases (`own_attorney_id`).
"""

from __future__ import annotations

from flask import Blueprint, abort

from models.entities import Role

from ..security import require_roles_for_blueprint, signed_in_user

bp = Blueprint("attorney", __name__, url_prefix="/attorney")
require_roles_for_blueprint(bp, Role.ATTORNEY)


def own_attorney_id() -> int:
    """The attorney profile of the signed-in account; 404 when the account has none linked."""
    attorney_id = signed_in_user().attorney_id
    if attorney_id is None:
        abort(404)
    return attorney_id


# Route modules register their views on `bp` when imported (they import `bp` from here).
from . import cases, offers, overview, profile  # noqa: E402,F401  isort: skip
