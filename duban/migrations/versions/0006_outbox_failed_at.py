"""When an outbox row failed for good: the weekly digest lists the failures of its week by it.

Rows that failed before this revision get their ``send_after``, the time their last attempt was
due: the closest instant the table kept (the last attempt was made at or soon after it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("failed_at", INSTANT, nullable=True))
    op.execute("UPDATE outbox SET failed_at = send_after WHERE status = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("failed_at")
