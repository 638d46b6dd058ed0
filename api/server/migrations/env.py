"""Alembic's entry point for PageSight's app database. The connection comes from the caller
(conversations.upgrade), so there is no alembic.ini and no URL here."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)  # batch: SQLite ALTERs
with context.begin_transaction():
    context.run_migrations()
