"""The supervision overview (总览): counts by light, one row per unit, and the 考核 ranking.

Two parts, both counted by the database. ``unit_totals`` is one pass over the whole item table
grouped by unit (open, done on time or late, cancelled): it does not depend on the time of day,
so the web keeps it until ``data_version`` changes. ``overview`` adds what does depend on
``now`` from the (status, due_at) index, reading only open items that are overdue or due within
the 临期 window: the red and yellow lights (the rule of ``views.item_light``), 考核's missing
items and their working days late. The ranking orders units by on-time rate, then average
working days late, then 通报 received; units equal on all three share a rank (1, 1, 3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from models.domain.deadlines import DUE_SOON_WORKDAYS
from models.domain.enums import OPEN_STATUSES, ExtensionStatus, ItemStatus, Light, ReminderKind
from models.domain.loop import LoopRules
from models.reports.views import Clock, loop_counts
from models.store.tables import Event, Extension, Item, Outbox, Unit

ITEM, UNIT, OUTBOX = Item.__table__, Unit.__table__, Outbox.__table__  # type: ignore[attr-defined]
EVENT, EXTENSION = Event.__table__, Extension.__table__  # type: ignore[attr-defined]
OPEN = [s.value for s in OPEN_STATUSES]


@dataclass(frozen=True)
class Grades:
    """考核 bands by on-time rate (percent): at least ``excellent`` is 优秀, and so on."""

    excellent: float = 95.0
    good: float = 85.0
    fair: float = 70.0

    def of(self, rate: float | None) -> str:
        if rate is None:
            return "暂无"
        pct = rate * 100
        return ("优秀" if pct >= self.excellent else "良好" if pct >= self.good
                else "一般" if pct >= self.fair else "较差")


@dataclass
class UnitRow:
    unit_id: int
    unit: str
    red: int = 0
    yellow: int = 0
    green: int = 0
    done: int = 0
    on_time: int = 0
    late: int = 0
    submitted: int = 0
    missing: int = 0  # 考核: open, not handed in, past the deadline it is judged by
    days_late: int = 0  # working days, over late completions and overdue open items
    circulations: int = 0  # 通报 sent about the unit's items
    rank: int = 0
    grade: str = ""

    @property
    def judged(self) -> int:
        return self.on_time + self.late + self.missing

    @property
    def rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def avg_days_late(self) -> float:
        lateness = self.late + self.missing
        return round(self.days_late / lateness, 1) if lateness else 0.0

    @property
    def light(self) -> Light:
        return Light.RED if self.red else Light.YELLOW if self.yellow else Light.GREEN


@dataclass
class Overview:
    lights: dict[str, int]
    submitted: int  # 已提交: waiting for 审核
    units: list[UnitRow] = field(default_factory=list)
    loop: dict[str, int] = field(default_factory=dict)  # 未签收, 待审核, 待审批延期

    @property
    def ranking(self) -> list[UnitRow]:
        return sorted((u for u in self.units if u.judged), key=lambda u: (u.rank, u.unit))


def _soon_limit(clock: Clock):
    today = clock.now.astimezone(clock.tz).date()
    return clock.calendar.add_workdays(today, DUE_SOON_WORKDAYS + 1)


def count(cond):
    return func.sum(case((cond, 1), else_=0))


@dataclass(frozen=True)
class UnitTotals:
    """What does not depend on the time of day: one unit's items by state, and its late
    completions' working days. Changes only when items change."""

    open: int
    done: int
    on_time: int
    late: int
    cancelled: int
    late_days: int


def data_version(session: Session) -> tuple:
    """Changes whenever an item does: every change writes an event, and bulk inserts raise the
    largest item id. Two primary-key lookups."""
    return (session.execute(select(func.max(EVENT.c.id))).scalar(),
            session.execute(select(func.max(ITEM.c.id))).scalar())


def unit_totals(session: Session, calendar, tz) -> dict[int, UnitTotals]:
    """One pass over the whole item table grouped by unit: the expensive part of the overview,
    and independent of ``now`` (so it can be kept until ``data_version`` changes)."""
    c = ITEM.c
    done = c.status == ItemStatus.DONE.value
    judged_by = func.coalesce(c.original_due_at, c.due_at)  # 考核 keeps the deadline before 延期
    query = select(
        c.unit_id, count(c.status.in_(OPEN)), count(done),
        count(and_(done, c.completed_at <= judged_by)), count(and_(done, c.completed_at > judged_by)),
        count(c.status == ItemStatus.CANCELLED.value),
    ).group_by(c.unit_id)
    late_done = (select(c.unit_id, judged_by, c.completed_at)
                 .where(done, c.completed_at > judged_by))
    days: dict[int, int] = defaultdict(int)
    pairs: dict[tuple, int] = defaultdict(int)
    for uid, due, completed in session.execute(late_done):
        pairs[(uid, _day_of(due, tz), as_utc(completed).astimezone(tz).date())] += 1
    for (uid, day, end), n in pairs.items():
        days[uid] += n * max(0, calendar.workdays_between(day, end))
    return {uid: UnitTotals(n_open or 0, n_done or 0, on_time or 0, late or 0, n_cancel or 0, days[uid])
            for uid, n_open, n_done, on_time, late, n_cancel in session.execute(query)}


def overview(session: Session, clock: Clock, *, totals: dict[int, UnitTotals] | None = None,
             grades: Grades = Grades(), rules: LoopRules = LoopRules()) -> Overview:
    """As of ``clock.now``. ``totals`` (``unit_totals``) may come from a cache kept by
    ``data_version``; what depends on the time (lights, 考核's missing items and their days)
    is counted here on the (status, due_at) index, reading only open items near or past due."""
    if totals is None:
        totals = unit_totals(session, clock.calendar, clock.tz)
    c = ITEM.c
    names = dict(session.execute(select(UNIT.c.id, UNIT.c.name)).all())
    rows = {uid: UnitRow(uid, names.get(uid, str(uid)), done=t.done, on_time=t.on_time, late=t.late,
                         green=t.open, days_late=t.late_days) for uid, t in totals.items()}

    def row(uid: int) -> UnitRow:
        return rows.setdefault(uid, UnitRow(uid, names.get(uid, str(uid))))

    soon_day = _soon_limit(clock)
    soon_at = datetime.combine(soon_day, time(0), tzinfo=clock.tz) + timedelta(days=1)
    due_range = and_(c.status.in_(OPEN), c.due_at < soon_at)  # an index range: overdue and 临期
    today = clock.now.astimezone(clock.tz).date()
    late_days: dict[tuple, int] = defaultdict(int)
    for uid, status, due, day, original, n in session.execute(
            select(c.unit_id, c.status, c.due_at, c.deadline_date, c.original_due_at, func.count())
            .where(due_range).group_by(c.unit_id, c.status, c.due_at, c.deadline_date,
                                       c.original_due_at)):
        r = row(uid)
        if as_utc(due) < clock.now:
            r.red += n
        elif day < soon_day:
            r.yellow += n
        judged = as_utc(original) if original is not None else as_utc(due)
        if status != ItemStatus.SUBMITTED.value and judged < clock.now:
            r.missing += n
            late_days[(uid, _day_of(judged, clock.tz))] += n
    # Extended items whose first deadline has passed: few, found from the extension table (a
    # condition on item alone makes SQLite walk every open item's index entry).
    extended = sorted(set(session.execute(select(EXTENSION.c.item_id).where(
        EXTENSION.c.status == ExtensionStatus.APPROVED.value)).scalars()))
    for uid, original, n in [] if not extended else session.execute(
            select(c.unit_id, c.original_due_at, func.count())
            .where(c.id.in_(extended),
                   c.status.in_([ItemStatus.NOT_STARTED.value, ItemStatus.IN_PROGRESS.value]),
                   c.due_at >= soon_at, c.original_due_at < clock.now)
            .group_by(c.unit_id, c.original_due_at)):
        row(uid).missing += n
        late_days[(uid, _day_of(as_utc(original), clock.tz))] += n
    for (uid, day), n in late_days.items():
        row(uid).days_late += n * max(0, clock.calendar.workdays_between(day, today))
    for uid, n in session.execute(select(c.unit_id, func.count())
                                  .where(c.status == ItemStatus.SUBMITTED.value).group_by(c.unit_id)):
        row(uid).submitted = n
    lights = dict.fromkeys((lt.value for lt in Light), 0)
    for r in rows.values():
        r.green -= r.red + r.yellow  # open minus those near or past due
        lights[Light.RED.value] += r.red
        lights[Light.YELLOW.value] += r.yellow
        lights[Light.GREEN.value] += r.green
        lights[Light.DONE.value] += r.done
    lights[Light.CANCELLED.value] = sum(t.cancelled for t in totals.values())
    _add_circulations(session, rows)
    _rank(list(rows.values()), grades)
    ordered = sorted(rows.values(), key=lambda r: (-r.red, -r.yellow, r.unit))
    return Overview(lights=lights, submitted=sum(r.submitted for r in rows.values()), units=ordered,
                    loop=loop_counts(session, clock, rules=rules))


def as_utc(instant: datetime) -> datetime:
    """SQLite hands back naive UTC where a column type does not reach the value (an expression)."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _day_of(instant: datetime, tz) -> date:
    """The local day a deadline instant ends (a date-only deadline ends at 24:00, the next day's 00:00)."""
    return (as_utc(instant) - timedelta(microseconds=1)).astimezone(tz).date()


def _add_circulations(session: Session, rows: dict[int, UnitRow]) -> None:
    """通报 sent about each unit's items: one per item and deadline (the ladder's 通报 rung),
    counted once however many people it went to."""
    c, o = ITEM.c, OUTBOX.c
    query = (select(c.unit_id, func.count(func.distinct(o.item_id)))
             .select_from(OUTBOX.join(ITEM, o.item_id == c.id))
             .where(o.reminder == ReminderKind.CIRCULATION.value, o.sent_at.is_not(None))
             .group_by(c.unit_id))
    for uid, n in session.execute(query):
        if uid in rows:
            rows[uid].circulations = n


def _rank(rows: list[UnitRow], grades: Grades) -> None:
    """Competition ranking (1, 1, 3): equal keys share a rank, the next rank skips."""
    judged = sorted((r for r in rows if r.judged), key=_rank_key)
    previous, rank = None, 0
    for position, row in enumerate(judged, start=1):
        key = _rank_key(row)
        if key != previous:
            rank, previous = position, key
        row.rank, row.grade = rank, grades.of(row.rate)


def _rank_key(row: UnitRow) -> tuple:
    return (-round(row.rate or 0.0, 6), row.avg_days_late, row.circulations)


@dataclass(frozen=True)
class WeekMail:
    by_kind: dict[str, int]  # reminders queued this week, by kind
    failed: list[Outbox]  # deliveries that failed this week


def week_mail(session: Session, clock: Clock, *, limit: int = 20) -> WeekMail:
    """This week's reminders (by when they are due to go out) and failed deliveries (by when
    they failed), the week starting Monday 00:00 local time."""
    local = clock.now.astimezone(clock.tz)
    start = datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=clock.tz)
    o = OUTBOX.c
    kinds = session.execute(select(o.reminder, func.count()).where(o.send_after >= start)
                            .group_by(o.reminder)).all()
    failed = session.exec(select(Outbox).where(Outbox.failed_at >= start)  # type: ignore[operator]
                          .order_by(Outbox.failed_at.desc()).limit(limit)).all()  # type: ignore[union-attr]
    return WeekMail(by_kind={k: n for k, n in kinds}, failed=list(failed))
