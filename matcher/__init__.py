"""The pure matching engine: plain frozen dataclasses in, plain results out.

Nothing here imports Flask, SQLAlchemy or pandas (a test checks it).
"""
