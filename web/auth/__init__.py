"""Signing in and out."""

from .routes import bp

__all__ = ["bp"]
