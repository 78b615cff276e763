"""GET/POST /attorneys/<id>/profile: a coordinator edits an attorney's profile on their behalf,
with the attorney's own form and checks (web/profile_form.py, models/profiles.py)."""

from __future__ import annotations

from flask import url_for
from werkzeug.wrappers import Response

from ..profile_form import edit_profile_page
from . import bp


@bp.route("/attorneys/<id:attorney_id>/profile", methods=["GET", "POST"])
def edit_attorney_profile(attorney_id: int) -> str | Response | tuple[str, int]:
    return edit_profile_page(
        attorney_id,
        heading="Edit an attorney's profile",
        action=url_for(".edit_attorney_profile", attorney_id=attorney_id),
        show_name=True,
    )
