"""The home page of each role, and the navigation every page shows."""

from .routes import bp

__all__ = ["bp"]
