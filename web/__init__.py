"""The Flask workspace: app factory, extensions, blueprints per role."""

from .app import create_app

__all__ = ["create_app"]
