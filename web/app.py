"""The app factory: register_extensions, register_blueprints, register_errorhandlers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from models.db import Database

from .config import load_config
from .extensions import close_session, csrf, login_manager


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path, test_config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    return app


def register_extensions(app: Flask) -> None:
    app.extensions["counselmatch_db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    pass


def register_errorhandlers(app: Flask) -> None:
    pass
