"""A question asked by a picture keeps a thumbnail of it (as it was read: grey, levelled; a data: URL of a
small JPEG), so that the conversation shows it when it is opened again.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("picture", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("picture")
