"""Alembic environment: runs migrations on the connection handed over by storage.migrations."""

from __future__ import annotations

from alembic import context

from incidents_service.storage.migrate import include_object_for
from incidents_service.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_object=include_object_for(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
