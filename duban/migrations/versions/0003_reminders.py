"""Reminders: the ladder (with the default rungs), the outbox, the scheduler lease, and each
item's next-action time for the sweep.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)

DEFAULT_RUNGS = [
    # key, reminder, offset in working days, audience, cc, repeat every N working days
    ("due_soon_3", "临期提醒", -3, "contact", None, None),
    ("due_soon_1", "临期提醒", -1, "contact", None, None),
    ("due_today", "临期提醒", 0, "contact", None, None),
    ("overdue", "逾期催办", 1, "contact", None, 2),
    ("escalation", "督办", 3, "leader", "contact", None),
    ("circulation", "通报", 5, "bureau", None, None),
]


def upgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("next_action_at", INSTANT, nullable=True))
        batch.create_index("ix_item_next_action_at", ["next_action_at"])
    # Existing open items are looked at by the first sweep after the upgrade.
    op.execute(
        "UPDATE item SET next_action_at = updated_at WHERE status NOT IN ('已办结', '已撤销')"
    )
    rung = op.create_table(
        "ladder_rung",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(30), nullable=False),
        sa.Column("reminder", sa.String(16), nullable=False),
        sa.Column("offset_workdays", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("cc_audience", sa.String(16), nullable=True),
        sa.Column("repeat_every", sa.Integer(), nullable=True),
        sa.UniqueConstraint("item_kind", "key"),
    )
    op.bulk_insert(rung, [
        {"item_kind": "*", "key": k, "reminder": r, "offset_workdays": o, "audience": a,
         "cc_audience": cc, "repeat_every": rep}
        for k, r, o, a, cc, rep in DEFAULT_RUNGS
    ])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedupe_key", sa.String(300), nullable=False, unique=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=True),
        sa.Column("reminder", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("recipient_name", sa.String(50), nullable=False),
        sa.Column("cc", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_after", INSTANT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_until", INSTANT, nullable=True),
        sa.Column("sent_at", INSTANT, nullable=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_index("ix_outbox_ready", "outbox", ["status", "send_after"])
    op.create_index("ix_outbox_item_id", "outbox", ["item_id"])
    op.create_table(
        "service_lock",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_lock")
    op.drop_table("outbox")
    op.drop_table("ladder_rung")
    with op.batch_alter_table("item") as batch:
        batch.drop_index("ix_item_next_action_at")
        batch.drop_column("next_action_at")
