"""The coordinators' workspace: review queue, unmatched children, child pages, attorneys, runs,
uploads, audit, erasure on request.

One blueprint, its routes split by page group into modules; every view is coordinator-only except
those that name their roles with `role_required` (the invitations: coordinators and admins).
"""

from __future__ import annotations

from flask import Blueprint

from models.entities import Role

from ..security import require_roles_for_blueprint

bp = Blueprint("coordinator", __name__)
require_roles_for_blueprint(bp, Role.COORDINATOR)

# Route modules register their views on `bp` when imported (they import `bp` from here).
from . import review, children, runs, unmatched, uploads, audit_trail, attorneys, template_helpers  # noqa: E402,F401  isort: skip
from . import invitations  # noqa: E402,F401  isort: skip
from . import attorney_profile, volunteers  # noqa: E402,F401  isort: skip
from . import erasure  # noqa: E402,F401  isort: skip
