"""The program leads' reports (/reports/...): program leads, admins and coordinators read them;
attorneys never (403)."""

from __future__ import annotations

from flask import Blueprint

from models.entities import Role

from ..security import require_roles_for_blueprint

REPORT_READERS = (Role.PROGRAM_LEAD, Role.ADMIN, Role.COORDINATOR)

bp = Blueprint("reports", __name__, url_prefix="/reports")
require_roles_for_blueprint(bp, *REPORT_READERS)

# Route modules register their views on `bp` when imported (they import `bp` from here).
from . import cells, recruitment, routes  # noqa: E402,F401  isort: skip
