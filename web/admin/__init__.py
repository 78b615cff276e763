"""The administrators' pages (/admin/...): accounts, settings, the court list and the e-mail
outbox.

One blueprint, its routes split by page into modules; every view is admin-only.
"""

from __future__ import annotations

from flask import Blueprint

from models.entities import Role

from ..security import require_roles_for_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles_for_blueprint(bp, Role.ADMIN)

# Route modules register their views on `bp` when imported (they import `bp` from here).
from . import courts, outbox, settings, users  # noqa: E402,F401  isort: skip
