"""Indexes that answer the web's item lists and 总览 from the index alone.

``ix_item_open_due`` grows from ``(status, due_at)`` to ``(status, due_at, id, unit_id,
deadline_date, original_due_at)``: the red and yellow lights of 总览 (open items by unit, due
before a moment) and the ids of a 逾期 page (by due time, then id) are read from the index
without visiting the 10,000 table rows they stand for. ``ix_item_unit_id`` becomes
``ix_item_unit_due (unit_id, due_at, id)``: one unit's list comes in deadline order, the first
page without sorting the unit's thousands of items. Both keep their old leading columns, so
every query that used the old indexes uses the new ones.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_item_open_due", table_name="item")
    op.create_index("ix_item_open_due", "item",
                    ["status", "due_at", "id", "unit_id", "deadline_date", "original_due_at"])
    op.drop_index("ix_item_unit_id", table_name="item")
    op.create_index("ix_item_unit_due", "item", ["unit_id", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_item_unit_due", table_name="item")
    op.create_index("ix_item_unit_id", "item", ["unit_id"])
    op.drop_index("ix_item_open_due", table_name="item")
    op.create_index("ix_item_open_due", "item", ["status", "due_at"])
