"""Why an uploaded file was left as it was (unchanged: "already indexed", or the same bytes as another
file of the upload): a note beside the error, which is a failure's alone.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("job_files") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_files") as batch:
        batch.drop_column("note")
