"""The 督办 closed loop (issue 13 §3): 签收 on items, 审核 of submissions, progress files,
extension requests (延期) and leaders' instructions (批示).

Items that existed before the loop count as acknowledged when they were created: the loop
did not exist, and an upgrade must not send every open item a 签收提醒.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("item", sa.Column("acked_at", INSTANT, nullable=True))
    op.add_column("item", sa.Column("acked_by", sa.String(100), nullable=True))
    op.add_column("item", sa.Column("original_due_at", INSTANT, nullable=True))
    op.execute("UPDATE item SET acked_at = created_at, acked_by = '系统'")
    op.create_index("ix_item_unacked", "item", ["acked_at", "created_at"])
    op.add_column("submission", sa.Column("verdict", sa.String(16), nullable=True))
    op.add_column("submission", sa.Column("reviewed_at", INSTANT, nullable=True))
    op.add_column("submission", sa.Column("reviewed_by", sa.String(100), nullable=True))
    op.add_column("submission", sa.Column("review_note", sa.Text(), nullable=True))
    op.create_table(
        "progress_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("progress_id", sa.Integer(), sa.ForeignKey("progress_entry.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
    )
    op.create_index("ix_progress_file_progress_id", "progress_file", ["progress_id"])
    op.create_table(
        "extension",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("from_time", sa.Time(), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("to_time", sa.Time(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", INSTANT, nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("decided_at", INSTANT, nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
    )
    op.create_index("ix_extension_item_id", "extension", ["item_id"])
    op.create_index("ix_extension_status", "extension", ["status", "item_id"])
    op.create_table(
        "instruction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_instruction_item_id", "instruction", ["item_id"])


def downgrade() -> None:
    op.drop_table("instruction")
    op.drop_table("extension")
    op.drop_table("progress_file")
    with op.batch_alter_table("submission") as batch:
        for name in ("review_note", "reviewed_by", "reviewed_at", "verdict"):
            batch.drop_column(name)
    op.drop_index("ix_item_unacked", table_name="item")
    with op.batch_alter_table("item") as batch:
        for name in ("original_due_at", "acked_by", "acked_at"):
            batch.drop_column(name)
