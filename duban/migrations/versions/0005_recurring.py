"""Recurring work: templates, occurrences (item.template_id, one per template, unit and due
date), meeting minutes (item.parent_id), submissions with files, attendance, and the meeting
reminder ladder (the working day before, and one hour before at any hour).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recurrence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("item_kind", sa.String(16), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("lead_workdays", sa.Integer(), nullable=True),
        sa.Column("all_street_offices", sa.Boolean(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("organiser_unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=True),
        sa.Column("place", sa.String(100), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("attendee_unit_ids", sa.JSON(), nullable=False),
        sa.Column("attendee_person_ids", sa.JSON(), nullable=False),
        sa.Column("minutes_due_workdays", sa.Integer(), nullable=True),
        sa.Column("generated_until", sa.Date(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
    )
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("template_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ics_sequence", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_foreign_key("fk_item_template_id", "recurrence", ["template_id"], ["id"])
        batch.create_foreign_key("fk_item_parent_id", "item", ["parent_id"], ["id"])
        batch.create_index("ix_item_template_id", ["template_id"])
        batch.create_unique_constraint("uq_item_occurrence",
                                       ["template_id", "unit_id", "deadline_date"])
        batch.create_unique_constraint("uq_item_parent_id", ["parent_id"])
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("by", sa.String(50), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_index("ix_submission_item_id", "submission", ["item_id"])
    op.create_table(
        "submission_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submission.id"),
                  nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
    )
    op.create_index("ix_submission_file_submission_id", "submission_file", ["submission_id"])
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("item_id", "unit_id"),
    )
    with op.batch_alter_table("ladder_rung") as batch:
        batch.add_column(sa.Column("minutes_before", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("any_hour", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("any_hour", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    rung = sa.table(
        "ladder_rung",
        sa.column("item_kind", sa.String), sa.column("key", sa.String),
        sa.column("reminder", sa.String), sa.column("offset_workdays", sa.Integer),
        sa.column("audience", sa.String), sa.column("cc_audience", sa.String),
        sa.column("repeat_every", sa.Integer), sa.column("minutes_before", sa.Integer),
        sa.column("any_hour", sa.Boolean),
    )
    op.bulk_insert(rung, [
        {"item_kind": "会议", "key": "meeting_day_before", "reminder": "会议提醒",
         "offset_workdays": -1, "audience": "attendees", "cc_audience": None,
         "repeat_every": None, "minutes_before": None, "any_hour": False},
        {"item_kind": "会议", "key": "meeting_hour_before", "reminder": "会议提醒",
         "offset_workdays": 0, "audience": "attendees", "cc_audience": None,
         "repeat_every": None, "minutes_before": 60, "any_hour": True},
    ])


def downgrade() -> None:
    op.execute("DELETE FROM ladder_rung WHERE item_kind = '会议'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("any_hour")
    with op.batch_alter_table("ladder_rung") as batch:
        batch.drop_column("any_hour")
        batch.drop_column("minutes_before")
    op.drop_table("attendance")
    op.drop_table("submission_file")
    op.drop_table("submission")
    with op.batch_alter_table("item") as batch:
        batch.drop_constraint("uq_item_parent_id", type_="unique")
        batch.drop_constraint("uq_item_occurrence", type_="unique")
        batch.drop_index("ix_item_template_id")
        batch.drop_constraint("fk_item_parent_id", type_="foreignkey")
        batch.drop_constraint("fk_item_template_id", type_="foreignkey")
        batch.drop_column("ics_sequence")
        batch.drop_column("parent_id")
        batch.drop_column("template_id")
    op.drop_table("recurrence")
