"""The public volunteer sign-up (/volunteer): an attorney offers their profile; a coordinator
approves or declines it (web/coordinator/volunteers.py).

Open to anyone, so it guards itself: CSRF on the form, a honeypot field that people never see
(a filled one is dropped without a word: the same thank-you page, nothing stored), and at most
`MAX_SIGN_UPS` sign-ups per client address per `SIGN_UP_WINDOW`, counted in the database (the
web tier keeps no state of its own) under a keyed hash of the address, never the address.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from models import audit
from models.base import utcnow
from models.profiles import ProfileInvalid
from models.volunteers import SIGN_UP_ENTITY, sign_up, sign_ups_since

from ..extensions import get_session
from ..profile_form import court_choices
from .forms import VolunteerForm

bp = Blueprint("volunteer", __name__)

MAX_SIGN_UPS = 5
SIGN_UP_WINDOW = timedelta(hours=1)


def client_key() -> str:
    """The rate limit's key for this request's client: a keyed hash of its address."""
    address = (request.remote_addr or "unknown").encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]


def _too_many() -> tuple[str, int]:
    return render_template("volunteer/too_many.html"), 429


@bp.route("/volunteer", methods=["GET", "POST"])
def sign_up_page() -> str | Response | tuple[str, int]:
    session = get_session()
    form = VolunteerForm()
    with session.begin():
        form.set_courts(court_choices(session))
    if form.is_submitted():
        key = client_key()
        with session.begin():
            if sign_ups_since(session, key, utcnow() - SIGN_UP_WINDOW) >= MAX_SIGN_UPS:
                audit.record(
                    session, "volunteer", "volunteer_sign_up_throttled", SIGN_UP_ENTITY, key
                )
                throttled = True
            else:
                throttled = False
        if throttled:
            return _too_many()
        if form.validate_on_submit():
            if form.website.data:
                # The honeypot: only a robot fills a field people cannot see.
                return redirect(url_for(".thanks"))
            try:
                with session.begin():
                    sign_up(session, form.person(), form.text(), key)
            except ProfileInvalid as invalid:
                form.add_errors(invalid.errors)
            else:
                return redirect(url_for(".thanks"))
    page = render_template("volunteer/sign_up.html", form=form)
    return page, 400 if form.is_submitted() else 200


@bp.route("/volunteer/thanks")
def thanks() -> str:
    return render_template("volunteer/thanks.html")
