"""The sweep's schedule moves from ``item.next_action_at`` to a narrow table ``next_action``.

The sweep moves an item's next action time every time it visits it. As an indexed column of
``item`` that UPDATE can never be HOT on PostgreSQL, so it rewrote every index of the wide
item table; ``next_action`` (item id, instant) has two. Open items keep their times; closed
items had none and get no row.

Also drops ``ix_item_template_id``: ``uq_item_occurrence`` (template_id, unit_id,
deadline_date) leads with template_id, so its index serves every lookup by template and the
foreign key's checks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "next_action",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id", ondelete="CASCADE"),
                  primary_key=True, autoincrement=False),
        sa.Column("at", INSTANT, nullable=False),
    )
    op.create_index("ix_next_action_at", "next_action", ["at", "item_id"])
    op.execute("INSERT INTO next_action (item_id, at) "
               "SELECT id, next_action_at FROM item WHERE next_action_at IS NOT NULL")
    with op.batch_alter_table("item") as batch:
        batch.drop_index("ix_item_template_id")
        batch.drop_index("ix_item_next_action_at")
        batch.drop_column("next_action_at")


def downgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("next_action_at", INSTANT, nullable=True))
        batch.create_index("ix_item_next_action_at", ["next_action_at"])
        batch.create_index("ix_item_template_id", ["template_id"])
    # UPDATE … FROM: PostgreSQL, and SQLite since 3.33.
    op.execute("UPDATE item SET next_action_at = next_action.at FROM next_action "
               "WHERE next_action.item_id = item.id")
    op.drop_index("ix_next_action_at", table_name="next_action")
    op.drop_table("next_action")
