"""Alembic's entry point for cstassist's migrations. ``Database.upgrade`` passes the connection in;
the revisions in ``versions/`` hold the schema history (the current shape is in ``database.py``)."""

from alembic import context

from cstassist.database import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
