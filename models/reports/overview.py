"""The supervision overview (总览): counts by light, one row per unit, and the 考核 ranking.

Everything is counted by the database in one pass over ``item`` grouped by unit (conditional
sums of the same rule as ``views.item_light``), plus the overdue items' day counts grouped by
deadline. The ranking orders units by on-time rate, then average working days late, then
通报 received; units equal on all three share a rank (1, 1, 3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from models.domain.deadlines import DUE_SOON_WORKDAYS
from models.domain.enums import OPEN_STATUSES, ItemStatus, Light, ReminderKind
from models.domain.loop import LoopRules
from models.reports.views import Clock, loop_counts
from models.store.tables import Item, Outbox, Unit

ITEM, UNIT, OUTBOX = Item.__table__, Unit.__table__, Outbox.__table__  # type: ignore[attr-defined]
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


def overview(session: Session, clock: Clock, *, unit_id: int | None = None,
             grades: Grades = Grades(), rules: LoopRules = LoopRules()) -> Overview:
    """As of ``clock.now``; only ``unit_id``'s items when given."""
    c = ITEM.c
    is_open = c.status.in_(OPEN)
    done = c.status == ItemStatus.DONE.value
    red = and_(is_open, c.due_at < clock.now)
    yellow = and_(is_open, c.due_at >= clock.now, c.deadline_date < _soon_limit(clock))
    judged_by = func.coalesce(c.original_due_at, c.due_at)  # 考核 keeps the deadline before 延期
    missing = and_(is_open, c.status != ItemStatus.SUBMITTED.value, judged_by < clock.now)

    def count(cond):
        return func.sum(case((cond, 1), else_=0))

    query = select(
        c.unit_id, count(red), count(yellow), count(is_open), count(done),
        count(and_(done, c.completed_at <= judged_by)), count(and_(done, c.completed_at > judged_by)),
        count(c.status == ItemStatus.SUBMITTED.value), count(c.status == ItemStatus.CANCELLED.value),
        count(missing),
    ).group_by(c.unit_id)
    if unit_id is not None:
        query = query.where(c.unit_id == unit_id)
    names = dict(session.execute(select(UNIT.c.id, UNIT.c.name)).all())
    rows: dict[int, UnitRow] = {}
    totals = dict.fromkeys((lt.value for lt in Light), 0)
    submitted = 0
    for uid, n_red, n_yellow, n_open, n_done, on_time, late, n_sub, n_cancel, n_missing \
            in session.execute(query):
        row = rows[uid] = UnitRow(uid, names.get(uid, str(uid)), red=n_red or 0, yellow=n_yellow or 0,
                                  green=(n_open or 0) - (n_red or 0) - (n_yellow or 0),
                                  done=n_done or 0, on_time=on_time or 0, late=late or 0,
                                  submitted=n_sub or 0, missing=n_missing or 0)
        totals[Light.RED.value] += row.red
        totals[Light.YELLOW.value] += row.yellow
        totals[Light.GREEN.value] += row.green
        totals[Light.DONE.value] += row.done
        totals[Light.CANCELLED.value] += n_cancel or 0
        submitted += row.submitted
    _add_days_late(session, clock, rows, unit_id)
    _add_circulations(session, rows, unit_id)
    _rank(list(rows.values()), grades)
    ordered = sorted(rows.values(), key=lambda r: (-r.red, -r.yellow, r.unit))
    return Overview(lights=totals, submitted=submitted, units=ordered,
                    loop=loop_counts(session, clock, rules=rules, unit_id=unit_id))


def as_utc(instant: datetime) -> datetime:
    """SQLite hands back naive UTC where a column type does not reach the value (an expression)."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _add_days_late(session: Session, clock: Clock, rows: dict[int, UnitRow],
                   unit_id: int | None) -> None:
    """Working days late: of each late completion, and of each overdue open item as of now.
    Grouped by day first, so the calendar is asked once per distinct pair of days."""
    c = ITEM.c
    today = clock.now.astimezone(clock.tz).date()
    judged_by = func.coalesce(c.original_due_at, c.due_at)
    overdue = (select(c.unit_id, judged_by, func.count())
               .where(c.status.in_(OPEN), c.status != ItemStatus.SUBMITTED.value,
                      judged_by < clock.now)
               .group_by(c.unit_id, judged_by))
    late_done = (select(c.unit_id, judged_by, c.completed_at)
                 .where(c.status == ItemStatus.DONE.value, c.completed_at > judged_by))
    if unit_id is not None:
        overdue, late_done = overdue.where(c.unit_id == unit_id), late_done.where(c.unit_id == unit_id)
    pairs: dict[tuple, int] = defaultdict(int)

    def day_of(instant: datetime):  # the local day a deadline instant ends (24:00 is the day before)
        return (as_utc(instant) - timedelta(microseconds=1)).astimezone(clock.tz).date()

    for uid, due, n in session.execute(overdue):
        pairs[(uid, day_of(due), today)] += n
    for uid, due, completed in session.execute(late_done):
        pairs[(uid, day_of(due), as_utc(completed).astimezone(clock.tz).date())] += 1
    for (uid, day, end), n in pairs.items():
        if uid in rows:
            rows[uid].days_late += n * max(0, clock.calendar.workdays_between(day, end))


def _add_circulations(session: Session, rows: dict[int, UnitRow], unit_id: int | None) -> None:
    """通报 sent about each unit's items: one per item and deadline (the ladder's 通报 rung),
    counted once however many people it went to."""
    c, o = ITEM.c, OUTBOX.c
    query = (select(c.unit_id, func.count(func.distinct(o.item_id)))
             .select_from(OUTBOX.join(ITEM, o.item_id == c.id))
             .where(o.reminder == ReminderKind.CIRCULATION.value, o.sent_at.is_not(None))
             .group_by(c.unit_id))
    if unit_id is not None:
        query = query.where(c.unit_id == unit_id)
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
