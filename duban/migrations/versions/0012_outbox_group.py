"""An index on ``outbox (recipient, reminder, status)``: one mail per person per pass.

Delivery sends the reminders owed to one recipient for one kind (临期提醒, 逾期催办, 督办,
通报) as one message, so when it claims a batch it also claims every other ready row of the
same recipient and kind (``models.engine.outbox.claim_in``). Without this index that look-up
reads every ready row once per batch: after a long outage (100,000 rows queued) that is
quadratic. A plain index, not one on ``lower(recipient)``: SQLite cannot reflect expression
indexes, so the schema could no longer be compared with the models.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_group", "outbox", ["recipient", "reminder", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_group", table_name="outbox")
