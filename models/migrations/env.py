"""Alembic environment: runs against the engine handed over by models.db.migrate."""

from alembic import context
from sqlalchemy import create_engine

from models import entities  # noqa: F401  (registers the tables)
from models.base import Base, UTCDateTime
from models.db import normalise_url

config = context.config


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render the UTC type as the plain column type it stores, so migrations stay standalone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
