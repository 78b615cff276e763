"""The app factory: register_extensions, register_blueprints, register_errorhandlers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from models.base import MAX_ROW_ID
from models.db import Database

from . import admin, attorney, auth, coordinator, home, reports, security, volunteer
from .config import load_config
from .extensions import close_session, csrf, login_manager

# Pages for the errors people meet; any other HTTP error gets the generic page.
ERROR_TEMPLATES = {
    403: "errors/403.html",
    404: "errors/404.html",
    500: "errors/500.html",
}


class RowIdConverter(IntegerConverter):
    """`<id:name>` in a route: a row id the database can hold (1 to MAX_ROW_ID). Any other number
    matches no route, so it is a 404 before a query could fail on it."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path, test_config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    register_extensions(app)
    app.url_map.converters["id"] = RowIdConverter  # before the blueprints' rules are built
    register_blueprints(app)
    register_errorhandlers(app)
    return app


def register_extensions(app: Flask) -> None:
    app.extensions["counselmatch_db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(attorney.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(volunteer.bp)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: HTTPException) -> Response:
        code = error.code or 500
        template = ERROR_TEMPLATES.get(code, "errors/generic.html")
        response = make_response(render_template(template, error=error), code)
        # Keep what the error adds for clients, such as the Allow header of a 405.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    def render_csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(CSRFError, render_csrf_error)
