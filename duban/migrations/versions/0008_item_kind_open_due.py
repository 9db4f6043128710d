"""An index on ``item (kind, status, due_at)``: the sweep's "which meetings have ended".

``meetings.close_finished`` runs at the start of every sweep and asks for open meetings due by
now. On ``ix_item_open_due`` (status, due_at) alone it had to read the row of every overdue
open item to keep the meetings, so each sweep cost grew with the overdue items of every kind
(at 1,000,000 items: ~5,100 heap pages, 177 ms from a cold cache). Leading with the kind, it
reads only meetings.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_item_kind_open_due", "item", ["kind", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_item_kind_open_due", table_name="item")
