"""The work ledger (工作台账) the year-end summary counts: activity categories (seeded with the
bureau's usual list), activities, and the links of items carried over into the next year.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)
DEFAULT_CATEGORIES = ("普法宣传", "思政宣讲", "业务培训", "集中学习", "走访慰问", "褒扬激励",
                      "优待证发放", "移交安置", "党建活动", "政务服务")


def upgrade() -> None:
    category = op.create_table(
        "activity_category",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(30), nullable=False, unique=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category_id", sa.Integer(), sa.ForeignKey("activity_category.id"),
                  nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=True),
        sa.Column("times", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("pieces", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_activity_day", "activity", ["day"])
    op.create_table(
        "carry_over",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("origin_item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.UniqueConstraint("year", "origin_item_id"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(category, [{"name": name, "position": n, "created_at": now}
                              for n, name in enumerate(DEFAULT_CATEGORIES, start=1)])


def downgrade() -> None:
    op.drop_table("carry_over")
    op.drop_index("ix_activity_day", table_name="activity")
    op.drop_table("activity")
    op.drop_table("activity_category")
