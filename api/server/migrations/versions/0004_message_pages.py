"""Messages read a page at a time, the latest first: an index on (conversation, position).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index("ix_messages_conversation_position", "messages", ["conversation_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_messages_conversation_position", table_name="messages")
