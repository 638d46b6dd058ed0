"""A conversation's scope (collection, documents, tags); a message's standalone question, the checks
of its claims, whether it abstained, and the error that ended it; conversations listed newest first.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("collection", sa.String(64), nullable=True))
        table.add_column(sa.Column("documents", sa.JSON, nullable=True))
        table.add_column(sa.Column("tags", sa.JSON, nullable=True))
        table.create_index("ix_conversations_owner_updated", ["owner", "updated_at"])
    with op.batch_alter_table("messages") as table:
        table.add_column(sa.Column("standalone", sa.Text, nullable=True))
        table.add_column(sa.Column("rewritten_by", sa.String(16), nullable=True))
        table.add_column(sa.Column("claims", sa.JSON, nullable=True))
        table.add_column(sa.Column("abstained", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("error", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as table:
        for column in ("error", "abstained", "claims", "rewritten_by", "standalone"):
            table.drop_column(column)
    with op.batch_alter_table("conversations") as table:
        table.drop_index("ix_conversations_owner_updated")
        for column in ("tags", "documents", "collection"):
            table.drop_column(column)
