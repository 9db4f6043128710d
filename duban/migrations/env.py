"""Alembic environment: runs against the engine duban.db hands over in config.attributes."""

from alembic import context
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers every table on the metadata)

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through duban.db.upgrade (duban init), not alembic directly")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
