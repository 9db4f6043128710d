"""A generated year with known numbers, for the summary's tests and its benchmark.

Rows go in with bulk Core inserts (a million items in a minute, not an hour through the ORM),
and, as they are drawn, ``Expected`` counts what the report must say with plain Python loops
over the drawn values: an independent computation of every figure, never the SQL under test.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Engine

from models.store.tables import Activity, ActivityCategory, Extension, Item, Outbox, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2026
AS_OF = datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)
KINDS = ("整改事项", "报送节点", "会议", "任务")
STAGES = ("临期提醒", "逾期催办", "督办", "通报", "周报")
OUTCOMES = ("on_time", "late", "open", "cancelled", "done_after_as_of")


@dataclass
class Expected:
    kinds: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    units: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    activities: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reminders: Counter = field(default_factory=Counter)
    minutes: Counter = field(default_factory=Counter)
    extensions: int = 0
    monthly: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    rectifications: int = 0
    carry: int = 0


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def _month_ends() -> list[datetime]:
    ends = []
    for month in range(1, 13):
        first_next = date(YEAR + (month == 12), month % 12 + 1, 1)
        ends.append(min(datetime.combine(first_next, time(0), tzinfo=SHANGHAI), AS_OF))
    return ends


def generate(engine: Engine, *, items: int, activities: int, units: int = 20,
             outbox: int = 0, extensions: int = 0, seed: int = 15, batch: int = 20_000,
             weights: tuple[float, ...] = (1, 1, 1, 1)) -> Expected:
    """``weights``: how often each of KINDS is drawn (a province has few 整改事项)."""
    rng = random.Random(seed)
    exp = Expected()
    created = datetime(YEAR - 1, 12, 1, tzinfo=UTC)
    item_t, unit_t = Item.__table__, Unit.__table__  # type: ignore[attr-defined]
    act_t, cat_t = Activity.__table__, ActivityCategory.__table__  # type: ignore[attr-defined]
    out_t = Outbox.__table__  # type: ignore[attr-defined]
    month_ends = _month_ends()
    with engine.begin() as conn:
        unit_rows = [{"id": i, "name": f"测试单位{i:04d}", "kind": "街道办事处" if i % 2 else "科室",
                      "contact_name": "联系人", "contact_email": f"u{i}@example.org",
                      "created_at": created, "updated_at": created} for i in range(1, units + 1)]
        conn.execute(sa.insert(unit_t), unit_rows)
        names = {r["id"]: r["name"] for r in unit_rows}
        categories = [(r.id, r.name) for r in conn.execute(sa.select(cat_t.c.id, cat_t.c.name))]
        rows: list[dict] = []
        meetings: list[int] = []
        for n in range(1, items + 1):
            kind = rng.choices(KINDS, weights)[0]
            unit = rng.randint(1, units)
            # a tenth falls outside the year: the period must leave them out
            year = YEAR if rng.random() < 0.9 else rng.choice((YEAR - 1, YEAR + 1))
            day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            due = _end_of_day(day)
            outcome = rng.choice(OUTCOMES)
            if due > AS_OF and outcome in ("late", "done_after_as_of"):
                outcome = "open"
            completed = None
            status = "进行中"
            if outcome == "on_time":
                completed, status = due - timedelta(hours=rng.randint(1, 400)), "已办结"
            elif outcome == "late":
                latest = min(due + timedelta(days=40), AS_OF.astimezone(UTC))
                completed = due + (latest - due) * rng.random() + timedelta(seconds=1)
                completed, status = min(completed, AS_OF.astimezone(UTC)), "已办结"
            elif outcome == "done_after_as_of":
                completed, status = AS_OF.astimezone(UTC) + timedelta(days=2), "已办结"
            elif outcome == "cancelled":
                status = "已撤销"
            parent = None
            if kind == "任务" and meetings and rng.random() < 0.2:
                parent = meetings.pop()  # a meeting's minutes
            if kind == "会议":
                meetings.append(n)
            rows.append({"id": n, "kind": kind, "title": f"事项{n}", "unit_id": unit,
                         "deadline_date": day, "due_at": due, "status": status,
                         "completed_at": completed, "parent_id": parent,
                         "detail": f"问题{n % 7}", "created_at": created, "updated_at": created})
            _expect_item(exp, kind, names[unit], year, due, completed, status, parent, month_ends)
            if len(rows) >= batch:
                conn.execute(sa.insert(item_t), rows)
                rows = []
        if rows:
            conn.execute(sa.insert(item_t), rows)
        rows = []
        for n in range(activities):
            cid, cname = rng.choice(categories)
            year = YEAR if rng.random() < 0.9 else YEAR - 1
            day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            times = rng.choice((None, 1, 2, 5))
            people = rng.choice((None, 10, 37))
            amount = rng.choice((None, 100.5, 2000.0))
            pieces = rng.choice((None, 3, 400))
            rows.append({"day": day, "category_id": cid, "title": f"活动{n % 50}",
                         "times": times, "people": people, "amount": amount, "pieces": pieces,
                         "attachments": [], "created_at": created, "created_by": "gen"})
            if year == YEAR:
                c = exp.activities[cname]
                c["count"] += 1
                c["times"] += 1 if times is None else times
                c["people"] += people or 0
                c["amount"] += amount or 0
                c["pieces"] += pieces or 0
            if len(rows) >= batch:
                conn.execute(sa.insert(act_t), rows)
                rows = []
        if rows:
            conn.execute(sa.insert(act_t), rows)
        rows = []
        for n in range(outbox):
            stage = rng.choice(STAGES)
            sent = rng.random() < 0.8
            at = datetime(YEAR, 1, 1, tzinfo=SHANGHAI) + timedelta(hours=rng.randrange(24 * 380))
            rows.append({"dedupe_key": f"gen:{n}", "reminder": stage, "stage": stage,
                         "recipient": "x@example.org", "recipient_name": "x", "cc": [],
                         "context": {}, "status": "sent" if sent else "pending",
                         "send_after": at, "attempts": 1, "sent_at": at if sent else None,
                         "message_id": f"<{n}@gen>", "created_at": at})
            if sent and at.year == YEAR and at <= AS_OF:
                exp.reminders[stage] += 1
        if rows:
            conn.execute(sa.insert(out_t), rows)
        rows = []
        for _ in range(extensions):
            status = rng.choice(("待审批", "已批准", "已批准", "已驳回"))
            decided = None if status == "待审批" else (
                datetime(YEAR - 1, 12, 15, tzinfo=SHANGHAI) + timedelta(hours=rng.randrange(24 * 400)))
            rows.append({"item_id": rng.randint(1, items), "from_date": date(YEAR, 6, 1),
                         "to_date": date(YEAR, 7, 1), "reason": "工作量大", "status": status,
                         "requested_at": created, "requested_by": "gen", "decided_at": decided})
            if status == "已批准" and decided.year == YEAR and decided <= AS_OF:  # type: ignore[union-attr]
                exp.extensions += 1
        if rows:
            conn.execute(sa.insert(Extension.__table__), rows)  # type: ignore[attr-defined]
    return exp


def _expect_item(exp: Expected, kind: str, unit: str, year: int, due: datetime,
                 completed: datetime | None, status: str, parent: int | None,
                 month_ends: list[datetime]) -> None:
    if status != "已撤销":
        for month, end in enumerate(month_ends, start=1):
            if due < end and (completed is None or completed > end):
                exp.monthly[month] += 1
    if year != YEAR or status == "已撤销":
        return
    done = completed is not None and completed <= AS_OF
    k = exp.kinds[kind]
    k["total"] += 1
    if done and (completed <= due or kind == "会议"):  # type: ignore[operator]
        k["on_time"] += 1
        result = "on_time"
    elif done:
        k["late"] += 1
        result = "late"
    else:
        k["open"] += 1
        result = "overdue" if due < AS_OF else "not_due"
        if result == "overdue":
            k["overdue"] += 1
    if kind != "会议" and result != "not_due":
        exp.units[unit][result] += 1
    if parent is not None:
        exp.minutes[result] += 1
    if kind == "整改事项":
        exp.rectifications += 1
    if not done and parent is None:
        exp.carry += 1
