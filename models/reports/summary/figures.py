"""The year-end summary's figures: pure aggregation over the database as of an instant.

Every figure is one SQL aggregate (GROUP BY in the database), so a province's year of a million
items is counted without loading a row into Python; only the 整改事项 and the items to carry
over are read one by one. What each number counts is said once, in ``models.reports.summary.
appendix``, in words a clerk can check.

As of ``t``: an item belongs to the period when its deadline day falls in it, it existed at
``t`` (created_at <= t) and it is not 已撤销. It is done when completed_at <= t: on time when
completed_at <= due_at, late otherwise. It is open when not done at ``t``, overdue when open and
due_at < t.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection

from models.domain.enums import (
    ExtensionStatus,
    ItemKind,
    ItemStatus,
    OutboxStatus,
    ReminderKind,
    UnitKind,
)
from models.domain.periods import Period
from models.store.tables import Activity, ActivityCategory, Extension, Item, Outbox, Unit

ITEM = Item.__table__  # type: ignore[attr-defined]
UNIT = Unit.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
ACTIVITY = Activity.__table__  # type: ignore[attr-defined]
CATEGORY = ActivityCategory.__table__  # type: ignore[attr-defined]
EXTENSION = Extension.__table__  # type: ignore[attr-defined]
KIND_ORDER = list(ItemKind)
CARRY_LISTED = 100  # open items named in the report; all of them are counted and carried
LADDER_STAGES = (ReminderKind.DUE_SOON, ReminderKind.OVERDUE, ReminderKind.ESCALATION,
                 ReminderKind.CIRCULATION)


@dataclass
class Outcome:
    """Counts of a set of items as of ``t``; ``due`` = on_time + late + missing (items whose
    outcome is known: done, or past their deadline)."""

    total: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def missing(self) -> int:
        return self.overdue

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """On-time rate over the items whose outcome is known; None when there are none."""
        return None if self.due == 0 else self.on_time / self.due

    def add(self, other: Outcome) -> None:
        self.total += other.total
        self.on_time += other.on_time
        self.late += other.late
        self.open += other.open
        self.overdue += other.overdue


@dataclass
class UnitOutcome:
    unit: str
    kind: str
    outcome: Outcome


@dataclass
class TitleFigures:
    title: str
    count: int
    times: int
    people: int
    amount: float
    pieces: int


@dataclass
class CategoryFigures:
    category: str
    count: int = 0
    times: int = 0
    people: int = 0
    amount: float = 0.0
    pieces: int = 0
    titles: list[TitleFigures] = field(default_factory=list)


@dataclass
class ListedItem:
    """An item named in the report (a 整改事项, or one carried into next year)."""

    id: int
    code: str | None
    kind: str
    title: str
    problem: str | None
    measure: str | None
    source: str | None
    unit: str
    deadline: date
    due_at: datetime
    completed_at: datetime | None  # as of t: None when not done by then

    @property
    def done(self) -> bool:
        return self.completed_at is not None

    @property
    def late(self) -> bool:
        return self.completed_at is not None and self.completed_at > self.due_at


@dataclass
class SummaryFigures:
    period: Period
    as_of: datetime
    tz: ZoneInfo
    kinds: dict[str, Outcome]
    units: list[UnitOutcome]
    activities: list[CategoryFigures]
    meetings_held: int
    minutes: Outcome
    reminders: dict[str, int]
    extensions: int | None  # None: not counted
    monthly_overdue: list[tuple[date, int | None]]  # None for a month not begun at t
    rectifications: list[ListedItem]
    carry: list[ListedItem]  # the first CARRY_LISTED, by deadline
    carry_total: int

    @property
    def all_items(self) -> Outcome:
        total = Outcome()
        for outcome in self.kinds.values():
            total.add(outcome)
        return total

    @property
    def has_data(self) -> bool:
        return self.all_items.total > 0 or any(c.count for c in self.activities)

    @property
    def street_offices(self) -> list[UnitOutcome]:
        return [u for u in self.units if u.kind == UnitKind.STREET_OFFICE.value]


def local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _done(t: datetime):
    return sa.and_(ITEM.c.completed_at.is_not(None), ITEM.c.completed_at <= t)


def _in_period(period: Period, t: datetime):
    return sa.and_(ITEM.c.deadline_date >= period.start, ITEM.c.deadline_date <= period.end,
                   ITEM.c.created_at <= t, ITEM.c.status != ItemStatus.CANCELLED.value)


def _sum(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _outcome_columns(t: datetime) -> list:
    # A meeting is closed when it has been held, after its start (its due_at): held is done,
    # never "late". Its minutes are items of their own and are timed like any other.
    done, meeting = _done(t), ITEM.c.kind == ItemKind.MEETING.value
    return [
        sa.func.count().label("total"),
        _sum(sa.and_(done, sa.or_(ITEM.c.completed_at <= ITEM.c.due_at, meeting))).label("on_time"),
        _sum(sa.and_(done, ITEM.c.completed_at > ITEM.c.due_at, sa.not_(meeting))).label("late"),
        _sum(sa.not_(done)).label("open"),
        _sum(sa.and_(sa.not_(done), ITEM.c.due_at < t)).label("overdue"),
    ]


def _outcome(row) -> Outcome:
    return Outcome(int(row.total), int(row.on_time), int(row.late), int(row.open), int(row.overdue))


@dataclass
class ItemTotals:
    kinds: dict[str, Outcome]
    units: list[UnitOutcome]
    minutes: Outcome  # the minutes items of meetings (parent_id set)
    carry: int  # open items that carry-over would take


def item_outcomes(conn: Connection, period: Period, t: datetime) -> ItemTotals:
    """Outcomes per item kind, per unit over all kinds but meetings, of meeting minutes, and
    the count of items to carry over: one scan of the period's items."""
    minutes = ITEM.c.parent_id.is_not(None)
    carry = _sum(sa.and_(sa.not_(_done(t)), ITEM.c.template_id.is_(None), sa.not_(minutes)))
    query = (sa.select(ITEM.c.kind, ITEM.c.unit_id, minutes.label("minutes"),
                       *_outcome_columns(t), carry.label("carry"))
             .where(_in_period(period, t)).group_by(ITEM.c.kind, ITEM.c.unit_id, minutes))
    kinds: dict[str, Outcome] = {k.value: Outcome() for k in KIND_ORDER}
    by_unit: dict[int, Outcome] = defaultdict(Outcome)
    minutes_total, carried = Outcome(), 0
    for row in conn.execute(query):
        outcome = _outcome(row)
        kinds.setdefault(row.kind, Outcome()).add(outcome)
        if row.kind != ItemKind.MEETING.value:  # units answer for minutes, not for meetings
            by_unit[row.unit_id].add(outcome)
        if row.minutes:
            minutes_total.add(outcome)
        carried += int(row.carry)
    names = {r.id: (r.name, r.kind) for r in conn.execute(sa.select(UNIT.c.id, UNIT.c.name,
                                                                    UNIT.c.kind))}
    units = [UnitOutcome(names[uid][0], names[uid][1], o) for uid, o in by_unit.items()]
    units.sort(key=lambda u: (u.outcome.rate is None, -(u.outcome.rate or 0), u.unit))
    return ItemTotals(kinds, units, minutes_total, carried)


def reminders_sent(conn: Connection, period: Period, t: datetime, tz: ZoneInfo) -> dict[str, int]:
    start = local_start(period.start, tz)
    end = min(local_start(period.end + timedelta(days=1), tz), t)
    query = (sa.select(OUTBOX.c.reminder, sa.func.count())
             .where(OUTBOX.c.status == OutboxStatus.SENT.value, OUTBOX.c.sent_at >= start,
                    OUTBOX.c.sent_at <= end)
             .group_by(OUTBOX.c.reminder))
    counts = {k.value: 0 for k in ReminderKind}
    for reminder, n in conn.execute(query):
        counts[reminder] = int(n)
    return counts


def extensions_granted(conn: Connection, period: Period, t: datetime, tz: ZoneInfo) -> int:
    """Extensions (延期) approved within the period, by the time of the decision, up to ``t``."""
    start = local_start(period.start, tz)
    end = min(local_start(period.end + timedelta(days=1), tz), t)
    return int(conn.execute(sa.select(sa.func.count()).where(
        EXTENSION.c.status == ExtensionStatus.APPROVED.value, EXTENSION.c.decided_at >= start,
        EXTENSION.c.decided_at <= end)).scalar_one())


def monthly_overdue(conn: Connection, period: Period, t: datetime,
                    tz: ZoneInfo) -> list[tuple[date, int | None]]:
    """For each month: the items (of any period, entered by ``t``) overdue at its end, or at
    ``t`` for the month ``t`` falls in; None for months not begun. One scan, one conditional
    sum per month."""
    months = period.months()
    ends: list[datetime | None] = []
    for first in months:
        next_first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        if local_start(first, tz) > t:
            ends.append(None)
        else:
            ends.append(min(local_start(next_first, tz), t))
    live = [e for e in ends if e is not None]
    if not live:
        return [(m, None) for m in months]
    # By the recorded deadlines and completion times, not by when a row was entered: a ledger
    # imported in December still tells how many items were overdue at the end of March.
    columns = [_sum(sa.and_(ITEM.c.due_at < e,
                            sa.or_(ITEM.c.completed_at.is_(None), ITEM.c.completed_at > e)))
               for e in live]
    row = conn.execute(sa.select(*columns).where(
        ITEM.c.status != ItemStatus.CANCELLED.value, ITEM.c.created_at <= t,
        ITEM.c.due_at < max(live))).one()
    values = iter(int(v) for v in row)
    return [(m, None if e is None else next(values)) for m, e in zip(months, ends, strict=True)]


def activity_figures(conn: Connection, period: Period, t: datetime) -> list[CategoryFigures]:
    """Per category (in the configured order) and, within it, per title: rows and sums.
    次数 counts an activity without a 次数 as one time."""
    query = (sa.select(CATEGORY.c.name, ACTIVITY.c.title, sa.func.count().label("n"),
                       sa.func.sum(sa.func.coalesce(ACTIVITY.c.times, 1)).label("times"),
                       sa.func.coalesce(sa.func.sum(ACTIVITY.c.people), 0).label("people"),
                       sa.func.coalesce(sa.func.sum(ACTIVITY.c.amount), 0).label("amount"),
                       sa.func.coalesce(sa.func.sum(ACTIVITY.c.pieces), 0).label("pieces"),
                       sa.func.min(ACTIVITY.c.day).label("first"))
             .select_from(ACTIVITY.join(CATEGORY, CATEGORY.c.id == ACTIVITY.c.category_id))
             .where(ACTIVITY.c.day >= period.start, ACTIVITY.c.day <= period.end,
                    ACTIVITY.c.created_at <= t)
             .group_by(CATEGORY.c.name, ACTIVITY.c.title))
    order = {name: n for n, (name,) in enumerate(conn.execute(
        sa.select(CATEGORY.c.name).order_by(CATEGORY.c.position, CATEGORY.c.id)))}
    by_category: dict[str, CategoryFigures] = {}
    for row in sorted(conn.execute(query), key=lambda r: (order[r.name], r.first, r.title)):
        c = by_category.setdefault(row.name, CategoryFigures(row.name))
        title = TitleFigures(row.title, int(row.n), int(row.times), int(row.people),
                             round(float(row.amount), 2), int(row.pieces))
        c.titles.append(title)
        c.count += title.count
        c.times += title.times
        c.people += title.people
        c.amount = round(c.amount + title.amount, 2)
        c.pieces += title.pieces
    return [by_category[name] for name in sorted(by_category, key=order.__getitem__)]


def _listed(conn: Connection, where, t: datetime, limit: int | None = None) -> list[ListedItem]:
    query = (sa.select(ITEM.c.id, ITEM.c.code, ITEM.c.kind, ITEM.c.title, ITEM.c.detail,
                       ITEM.c.measure, ITEM.c.source, UNIT.c.name, ITEM.c.deadline_date,
                       ITEM.c.due_at, ITEM.c.completed_at)
             .select_from(ITEM.join(UNIT, UNIT.c.id == ITEM.c.unit_id))
             .where(where).order_by(ITEM.c.deadline_date, ITEM.c.id).limit(limit))
    out = []
    for r in conn.execute(query):
        completed = r.completed_at if r.completed_at is not None and r.completed_at <= t else None
        out.append(ListedItem(r.id, r.code, r.kind, r.title, r.detail, r.measure, r.source,
                              r.name, r.deadline_date, r.due_at, completed))
    return out


def rectifications(conn: Connection, period: Period, t: datetime) -> list[ListedItem]:
    return _listed(conn, sa.and_(_in_period(period, t),
                                 ITEM.c.kind == ItemKind.RECTIFICATION.value), t)


def _carried(period: Period, t: datetime):
    return sa.and_(_in_period(period, t), sa.not_(_done(t)), ITEM.c.template_id.is_(None),
                   ITEM.c.parent_id.is_(None))


def carry_candidates(conn: Connection, period: Period, t: datetime,
                     limit: int | None = None) -> list[ListedItem]:
    """Items of the period still open at ``t``, other than occurrences of recurring duties and
    meeting minutes (those come back by themselves); the first ``limit`` by deadline."""
    return _listed(conn, _carried(period, t), t, limit)


def compute(conn: Connection, period: Period, *, as_of: datetime, tz: ZoneInfo) -> SummaryFigures:
    """Every figure of the report for ``period`` as of ``as_of``."""
    totals = item_outcomes(conn, period, as_of)
    return SummaryFigures(
        period=period, as_of=as_of, tz=tz, kinds=totals.kinds, units=totals.units,
        activities=activity_figures(conn, period, as_of),
        # a meeting is closed once held (models.records.meetings.close_finished)
        meetings_held=totals.kinds[ItemKind.MEETING.value].on_time, minutes=totals.minutes,
        reminders=reminders_sent(conn, period, as_of, tz),
        extensions=extensions_granted(conn, period, as_of, tz),
        monthly_overdue=monthly_overdue(conn, period, as_of, tz),
        rectifications=rectifications(conn, period, as_of),
        carry=carry_candidates(conn, period, as_of, CARRY_LISTED),
        carry_total=totals.carry,
    )
