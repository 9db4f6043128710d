"""Database tables. Every instant is a timezone-aware UTC datetime (see models.store.types).

Schema changes go through Alembic revisions in duban/migrations; keep both in step
(tests/models/test_migrations.py compares them).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from models.domain.enums import (
    ExtensionStatus,
    ItemKind,
    ItemStatus,
    OutboxStatus,
    PersonRole,
    ReminderKind,
    Role,
    UnitKind,
    Verdict,
)
from models.store.types import EnumText, UTCDateTime


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index)


class Unit(SQLModel, table=True):
    """A unit that is responsible for items: a 科室, a 街道办事处 or another body."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), unique=True, nullable=False)
    kind: UnitKind = Field(sa_type=EnumText(UnitKind), nullable=False)
    contact_name: str = Field(sa_type=String(50), nullable=False)
    contact_email: str = Field(sa_type=String(254), nullable=False)
    contact_phone: str | None = Field(default=None, sa_type=String(30))
    leader_name: str | None = Field(default=None, sa_type=String(50))
    leader_email: str | None = Field(default=None, sa_type=String(254))
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Person(SQLModel, table=True):
    """A bureau-level contact (主要负责人, 督办人员) that escalation and digests reach."""

    __table_args__ = (UniqueConstraint("name", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(50), nullable=False)
    role: PersonRole = Field(sa_type=EnumText(PersonRole), nullable=False)
    email: str = Field(sa_type=String(254), nullable=False)
    phone: str | None = Field(default=None, sa_type=String(30))
    active: bool = Field(default=True, nullable=False)
    created_at: datetime = _instant()


class Account(SQLModel, table=True):
    """A login of the web workspace. ``name`` is what the person types and what the event log
    records as the actor; ``unit_id`` binds a 承办单位 account to its unit."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(50), unique=True, nullable=False)
    role: Role = Field(sa_type=EnumText(Role), nullable=False)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    password_hash: str = Field(sa_type=String(200), nullable=False)
    disabled: bool = Field(default=False, nullable=False)
    failed_logins: int = Field(default=0, nullable=False)
    locked_until: datetime | None = _instant(nullable=True)
    created_at: datetime = _instant()


class WebSession(SQLModel, table=True):
    """A signed-in browser. ``id`` is the SHA-256 of the cookie's token, so the table alone
    cannot be replayed; deleting the row (logout, disable) signs the browser out at once."""

    __tablename__ = "web_session"

    id: str = Field(sa_type=String(64), primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    csrf: str = Field(sa_type=String(64), nullable=False)
    created_at: datetime = _instant()
    expires_at: datetime = _instant()


class Item(SQLModel, table=True):
    """A supervised item (督办事项): something a unit must finish by a deadline.

    The deadline is what the user gave: a date, optionally with a local wall-clock time.
    ``due_at`` is the derived UTC instant it ends (a date-only deadline ends at 24:00 local),
    indexed so that "what is overdue now" never scans the table. When the reminder sweep must
    next look at an item is kept apart, in ``next_action``.
    """

    __table_args__ = (
        # Covering: 总览's lights and a 逾期 page's ids come from the index alone.
        Index("ix_item_open_due", "status", "due_at", "id", "unit_id", "deadline_date",
              "original_due_at"),
        Index("ix_item_unit_due", "unit_id", "due_at", "id"),  # one unit's list, in deadline order
        Index("ix_item_kind_open_due", "kind", "status", "due_at"),  # meetings that have ended
        Index("ix_item_unacked", "acked_at", "created_at"),  # 未签收: acked_at IS NULL, oldest first
        UniqueConstraint("template_id", "unit_id", "deadline_date", name="uq_item_occurrence"),
        UniqueConstraint("parent_id", name="uq_item_parent_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, sa_type=String(50), unique=True)
    kind: ItemKind = Field(sa_type=EnumText(ItemKind), nullable=False)
    title: str = Field(sa_type=String(200), nullable=False)
    detail: str | None = Field(default=None, sa_type=Text)
    measure: str | None = Field(default=None, sa_type=Text)
    source: str | None = Field(default=None, sa_type=String(200))
    remark: str | None = Field(default=None, sa_type=Text)  # the ledger's 备注
    unit_id: int = Field(foreign_key="unit.id", nullable=False)
    person: str | None = Field(default=None, sa_type=String(50))
    deadline_date: date = Field(nullable=False)
    deadline_time: time | None = Field(default=None)
    due_at: datetime = _instant()
    status: ItemStatus = Field(
        default=ItemStatus.NOT_STARTED, sa_type=EnumText(ItemStatus), nullable=False
    )
    completed_at: datetime | None = _instant(nullable=True)
    # Recurring work: the template an occurrence came from; a meeting's minutes item points
    # at its meeting; a meeting's iCalendar SEQUENCE (raised when it moves or is cancelled).
    # No index of its own: uq_item_occurrence (template_id first) serves lookups by template.
    template_id: int | None = Field(default=None, foreign_key="recurrence.id")
    parent_id: int | None = Field(default=None, foreign_key="item.id")
    ics_sequence: int = Field(default=0, nullable=False,
                              sa_column_kwargs={"server_default": "0"})
    # The closed loop (models.records.loop): 签收, and the deadline first set when an approved
    # extension (延期) moved it, kept for 考核 (models.reports.stats).
    acked_at: datetime | None = _instant(nullable=True)
    acked_by: str | None = Field(default=None, sa_type=String(100))
    original_due_at: datetime | None = _instant(nullable=True)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class NextAction(SQLModel, table=True):
    """When the reminder sweep must next look at an item; no row once it never needs to
    (closed). Read and written through models.store.next_actions only.

    A narrow table of its own rather than a column of ``item``: the sweep moves every time
    it visits, and on PostgreSQL an UPDATE of an indexed column of ``item`` would rewrite
    every index of that wide table instead of these two.
    """

    __tablename__ = "next_action"
    __table_args__ = (Index("ix_next_action_at", "at", "item_id"),)

    item_id: int = Field(sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"),
                                          primary_key=True, autoincrement=False))
    at: datetime = _instant()


class ProgressEntry(SQLModel, table=True):
    """A dated note on how an item is getting on (进展情况)."""

    __tablename__ = "progress_entry"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", nullable=False, index=True)
    at: datetime = _instant()
    note: str = Field(sa_type=Text, nullable=False)
    author: str = Field(sa_type=String(50), nullable=False)


class Event(SQLModel, table=True):
    """Append-only audit log: who did what, when, with the values before and after.

    The database refuses UPDATE and DELETE on this table (triggers in the migrations).
    """

    __table_args__ = (Index("ix_event_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _instant()
    actor: str = Field(sa_type=String(100), nullable=False)
    entity: str = Field(sa_type=String(20), nullable=False)
    entity_id: int = Field(nullable=False)
    action: str = Field(sa_type=String(20), nullable=False)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class CalendarDay(SQLModel, table=True):
    """An administrator's override of one day: a holiday (休) or a 调休 working day (班)."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    workday: bool = Field(nullable=False)
    name: str = Field(sa_type=String(50), nullable=False)
    loaded_at: datetime = _instant()


class LadderRung(SQLModel, table=True):
    """One rung of a reminder ladder. ``item_kind`` '*' is the default ladder; rows for a
    specific kind (e.g. 会议) replace the default for items of that kind."""

    __tablename__ = "ladder_rung"
    __table_args__ = (UniqueConstraint("item_kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    item_kind: str = Field(sa_type=String(16), nullable=False)
    key: str = Field(sa_type=String(30), nullable=False)
    reminder: ReminderKind = Field(sa_type=EnumText(ReminderKind), nullable=False)
    offset_workdays: int = Field(nullable=False)
    audience: str = Field(sa_type=String(16), nullable=False)
    cc_audience: str | None = Field(default=None, sa_type=String(16))
    repeat_every: int | None = Field(default=None)
    minutes_before: int | None = Field(default=None)  # fire this long before the deadline
    any_hour: bool = Field(default=False, nullable=False,
                           sa_column_kwargs={"server_default": false()})


class Outbox(SQLModel, table=True):
    """One message owed to one recipient. ``dedupe_key`` is unique: (item, deadline, stage,
    recipient) for reminders, (week, recipient) for digests, so detection can run any number
    of times, in any number of processes, and add each message once. ``context`` holds only
    what must stay as queued: ``{}`` for an item reminder (its item is read at delivery,
    models.engine.mail_context), a meeting's time and invitation, a digest's whole content."""

    __table_args__ = (
        Index("ix_outbox_ready", "status", "send_after"),
        # Delivery claims a recipient's ready rows of one kind together (migration 0012).
        Index("ix_outbox_group", "recipient", "reminder", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(sa_type=String(300), unique=True, nullable=False)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    reminder: ReminderKind = Field(sa_type=EnumText(ReminderKind), nullable=False)
    stage: str = Field(sa_type=String(40), nullable=False)
    recipient: str = Field(sa_type=String(254), nullable=False)
    recipient_name: str = Field(sa_type=String(50), nullable=False)
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=EnumText(OutboxStatus),
                                 nullable=False)
    send_after: datetime = _instant()
    attempts: int = Field(default=0, nullable=False)
    claimed_by: str | None = Field(default=None, sa_type=String(100))
    claimed_until: datetime | None = _instant(nullable=True)
    sent_at: datetime | None = _instant(nullable=True)
    failed_at: datetime | None = _instant(nullable=True)  # when it became failed
    message_id: str = Field(sa_type=String(200), nullable=False)
    last_error: str | None = Field(default=None, sa_type=Text)
    any_hour: bool = Field(default=False, nullable=False,  # may go out outside office hours
                           sa_column_kwargs={"server_default": false()})
    created_at: datetime = _instant()


class ServiceLock(SQLModel, table=True):
    """A named lease: one embedded scheduler per database. Renewed by a heartbeat; taken
    over only after it expires (or at once when its holder's process is gone)."""

    __tablename__ = "service_lock"

    name: str = Field(sa_type=String(50), primary_key=True)
    holder: str = Field(sa_type=String(200), nullable=False)
    acquired_at: datetime = _instant()
    expires_at: datetime = _instant()


class Recurrence(SQLModel, table=True):
    """A recurring duty (周期任务): its rule, who owes it, and — for meetings — where and who.

    ``generated_until`` is the last date occurrences were generated for; editing the template
    moves it back to today so the future is regenerated.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), nullable=False)
    item_kind: ItemKind = Field(sa_type=EnumText(ItemKind), nullable=False)
    rule: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    due_time: time | None = Field(default=None)
    lead_workdays: int | None = Field(default=None)
    all_street_offices: bool = Field(default=False, nullable=False)
    unit_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    start_date: date = Field(nullable=False)
    end_date: date | None = Field(default=None)
    paused: bool = Field(default=False, nullable=False)
    detail: str | None = Field(default=None, sa_type=Text)
    source: str | None = Field(default=None, sa_type=String(200))
    organiser_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    place: str | None = Field(default=None, sa_type=String(100))
    duration_minutes: int | None = Field(default=None)
    attendee_unit_ids: list[int] = Field(default_factory=list,
                                         sa_column=Column(JSON, nullable=False))
    attendee_person_ids: list[int] = Field(default_factory=list,
                                           sa_column=Column(JSON, nullable=False))
    minutes_due_workdays: int | None = Field(default=None)
    generated_until: date | None = Field(default=None)
    # The units occurrences were last generated for (None: not recorded yet); generation
    # compares it with the current targets to serve a unit that joined or left.
    generated_units: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Submission(SQLModel, table=True):
    """Something handed in for an item (报送): when, by whom, a note, and files."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", nullable=False, index=True)
    at: datetime = _instant()
    by: str = Field(sa_type=String(50), nullable=False)
    note: str | None = Field(default=None, sa_type=Text)
    late: bool = Field(nullable=False)
    created_at: datetime = _instant()
    # 审核 of a submission that waits for it: 通过 (销号) or 退回, by whom, when, why.
    verdict: Verdict | None = Field(default=None, sa_type=EnumText(Verdict))
    reviewed_at: datetime | None = _instant(nullable=True)
    reviewed_by: str | None = Field(default=None, sa_type=String(100))
    review_note: str | None = Field(default=None, sa_type=Text)


class SubmissionFile(SQLModel, table=True):
    """A file of a submission, stored under DUBAN_HOME/files by its SHA-256."""

    __tablename__ = "submission_file"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", nullable=False, index=True)
    filename: str = Field(sa_type=String(255), nullable=False)
    size: int = Field(nullable=False)
    sha256: str = Field(sa_type=String(64), nullable=False)
    path: str = Field(sa_type=String(300), nullable=False)


class Attendance(SQLModel, table=True):
    """Whether an attendee unit was at a meeting occurrence."""

    __table_args__ = (UniqueConstraint("item_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", nullable=False)
    unit_id: int = Field(foreign_key="unit.id", nullable=False)
    present: bool = Field(nullable=False)
    recorded_at: datetime = _instant()
    recorded_by: str = Field(sa_type=String(100), nullable=False)


class ActivityCategory(SQLModel, table=True):
    """A kind of activity the ledger counts (普法宣传, 业务培训 …): a list the office edits."""

    __tablename__ = "activity_category"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(30), unique=True, nullable=False)
    position: int = Field(default=0, nullable=False)
    created_at: datetime = _instant()


class Activity(SQLModel, table=True):
    """One entry of the work ledger (工作台账): something done on a day, with its figures
    (次数, 人数, 金额 in yuan, 件数); a figure left empty was not counted."""

    __table_args__ = (Index("ix_activity_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(nullable=False)
    category_id: int = Field(foreign_key="activity_category.id", nullable=False)
    title: str = Field(sa_type=String(200), nullable=False)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    times: int | None = Field(default=None)
    people: int | None = Field(default=None)
    amount: float | None = Field(default=None)
    pieces: int | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=Text)
    attachments: list[dict[str, Any]] = Field(default_factory=list,
                                              sa_column=Column(JSON, nullable=False))
    created_at: datetime = _instant()
    created_by: str = Field(sa_type=String(100), nullable=False)


class CarryOver(SQLModel, table=True):
    """An open item carried into the next year by the year-end summary: one new item per
    (year, origin item), so carrying over twice adds nothing."""

    __tablename__ = "carry_over"
    __table_args__ = (UniqueConstraint("year", "origin_item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(nullable=False)  # the year summarised; the new item belongs to year + 1
    origin_item_id: int = Field(foreign_key="item.id", nullable=False)
    item_id: int = Field(foreign_key="item.id", nullable=False)
    created_at: datetime = _instant()


class ProgressFile(SQLModel, table=True):
    """A file attached to a progress entry (反馈), stored like a submission's."""

    __tablename__ = "progress_file"

    id: int | None = Field(default=None, primary_key=True)
    progress_id: int = Field(foreign_key="progress_entry.id", nullable=False, index=True)
    filename: str = Field(sa_type=String(255), nullable=False)
    size: int = Field(nullable=False)
    sha256: str = Field(sa_type=String(64), nullable=False)
    path: str = Field(sa_type=String(300), nullable=False)


class Extension(SQLModel, table=True):
    """A request to move an item's deadline (延期申请) and its decision."""

    __table_args__ = (Index("ix_extension_status", "status", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", nullable=False, index=True)
    from_date: date = Field(nullable=False)  # the deadline in force when asked
    from_time: time | None = Field(default=None)
    to_date: date = Field(nullable=False)
    to_time: time | None = Field(default=None)
    reason: str = Field(sa_type=Text, nullable=False)
    status: ExtensionStatus = Field(default=ExtensionStatus.PENDING,
                                    sa_type=EnumText(ExtensionStatus), nullable=False)
    requested_at: datetime = _instant()
    requested_by: str = Field(sa_type=String(100), nullable=False)
    decided_at: datetime | None = _instant(nullable=True)
    decided_by: str | None = Field(default=None, sa_type=String(100))
    decision_note: str | None = Field(default=None, sa_type=Text)


class Instruction(SQLModel, table=True):
    """A leader's instruction on an item (领导批示)."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", nullable=False, index=True)
    at: datetime = _instant()
    author: str = Field(sa_type=String(100), nullable=False)
    text: str = Field(sa_type=Text, nullable=False)
