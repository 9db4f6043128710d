"""The figures as a template's context (Chinese words, local dates) and as the --json shape."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from models.domain.enums import ItemKind, ReminderKind
from models.reports.summary.figures import (
    LADDER_STAGES,
    CategoryFigures,
    ListedItem,
    Outcome,
    SummaryFigures,
    TitleFigures,
)

WEAK_RATE = 0.8  # units below this on-time rate are named in the 打算
_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (up to 99; larger numbers as digits)."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])
    return str(n)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def money(amount: float) -> str:
    if amount >= 10_000:
        return f"{amount / 10_000:.2f}万元"
    return f"{amount:.2f}元".replace(".00元", "元")


def measures_text(f: TitleFigures | CategoryFigures) -> str:
    """“4次，涉及200人，金额35.60万元，412件”: the figures an activity carries."""
    parts = [f"{f.times}次"]
    if f.people:
        parts.append(f"涉及{f.people}人")
    if f.amount:
        parts.append(f"金额{money(f.amount)}")
    if f.pieces:
        parts.append(f"{f.pieces}件")
    return "，".join(parts)


def _outcome(o: Outcome) -> dict[str, Any]:
    return {"total": o.total, "on_time": o.on_time, "late": o.late, "open": o.open,
            "overdue": o.overdue, "due": o.due, "missing": o.missing, "rate": percent(o.rate)}


def _local(instant: datetime, fig: SummaryFigures) -> date:
    return instant.astimezone(fig.tz).date()


def status_text(item: ListedItem, fig: SummaryFigures) -> str:
    if item.completed_at is not None:
        when = cn_date(_local(item.completed_at, fig))
        return f"已于{when}逾期完成" if item.late else f"已于{when}按期完成"
    if item.due_at < fig.as_of:
        return "尚未完成，已逾期"
    return "正在推进，尚未到完成时限"


def _listed(item: ListedItem, fig: SummaryFigures, n: int) -> dict[str, Any]:
    return {"n": cn_number(n), "code": item.code or "", "kind": item.kind, "title": item.title,
            "problem": item.problem or "", "measure": item.measure or "",
            "source": item.source or "", "unit": item.unit, "deadline": cn_date(item.deadline),
            "status": status_text(item, fig),
            "completed": cn_date(_local(item.completed_at, fig)) if item.completed_at else "",
            "late": item.late, "open": not item.done,
            "overdue": not item.done and item.due_at < fig.as_of}


def _rectification_groups(fig: SummaryFigures) -> list[dict[str, Any]]:
    """整改事项 grouped by the shortcoming they answer (问题描述), as the seeds group them."""
    groups: dict[str, list[ListedItem]] = defaultdict(list)
    for item in fig.rectifications:
        groups[(item.problem or "").strip() or "（未填写问题描述）"].append(item)
    out = []
    for g, (problem, items) in enumerate(groups.items(), start=1):
        out.append({"n": cn_number(g), "problem": problem.rstrip("。"),
                    "entries": [_listed(i, fig, k) for k, i in enumerate(items, start=1)],
                    "done": sum(1 for i in items if i.done),
                    "total": len(items)})
    return out


def _category(c: CategoryFigures, n: int) -> dict[str, Any]:
    return {"n": cn_number(n), "category": c.category, "count": c.count, "times": c.times,
            "people": c.people, "amount": money(c.amount) if c.amount else "", "pieces": c.pieces,
            "text": measures_text(c),
            "titles": [{"title": t.title, "count": t.count, "text": measures_text(t)}
                       for t in c.titles]}


def _units(rows) -> list[dict[str, Any]]:
    return [{"unit": u.unit, "kind": u.kind, **_outcome(u.outcome)} for u in rows]


def report_context(fig: SummaryFigures, *, bureau: str) -> dict[str, Any]:
    """What the templates see. Wording lives in the templates; this gives them numbers, names
    and dates, already in the words a report uses."""
    period = fig.period
    total = fig.all_items
    rect = Outcome()
    for item in fig.rectifications:
        rect.total += 1
        if item.done:
            rect.on_time += 0 if item.late else 1
            rect.late += 1 if item.late else 0
        else:
            rect.open += 1
            rect.overdue += 1 if item.due_at < fig.as_of else 0
    submissions = fig.kinds.get(ItemKind.SUBMISSION.value, Outcome())
    ladder = {k.value: fig.reminders.get(k.value, 0) for k in LADDER_STAGES}
    weak = [u for u in fig.units if u.outcome.rate is not None and u.outcome.rate < WEAK_RATE]
    return {
        "bureau": bureau,
        "period": period.label,
        "period_title": period.title_label,
        "is_year": period.is_year,
        "year": period.year,
        "next_year": period.year + 1,
        "as_of": f"{cn_date(_local(fig.as_of, fig))} {fig.as_of.astimezone(fig.tz):%H:%M}",
        "date": cn_date(_local(fig.as_of, fig)),
        "has_data": fig.has_data,
        "has_items": total.total > 0,
        "activity_total": sum(c.count for c in fig.activities),
        "categories": [_category(c, n) for n, c in enumerate(fig.activities, start=1)],
        "items": _outcome(total),
        "kinds": [{"kind": k, **_outcome(o)} for k, o in fig.kinds.items() if o.total],
        "units": _units(fig.units),
        "street_offices": _units(fig.street_offices),
        "submissions": _outcome(submissions),
        "meetings_held": fig.meetings_held,
        "minutes": _outcome(fig.minutes),
        "reminders": ladder,
        "reminders_total": sum(ladder.values()),
        "extensions": fig.extensions if fig.extensions is not None else 0,
        "extensions_counted": fig.extensions is not None,
        "rect": _outcome(rect),
        "rect_groups": _rectification_groups(fig),
        "rect_late": [i.title for i in fig.rectifications if i.late],
        "rect_open": [i.title for i in fig.rectifications if not i.done],
        "carry": [_listed(i, fig, n) for n, i in enumerate(fig.carry, start=1)],
        "carry_total": fig.carry_total,
        "carry_more": fig.carry_total - len(fig.carry),
        "weak_units": [{"unit": u.unit, "rate": percent(u.outcome.rate)} for u in weak],
        "weak_rate": percent(WEAK_RATE),
    }


def as_json(fig: SummaryFigures) -> dict[str, Any]:
    """The --json shape: year (and period), items per kind, units, activities, reminders."""
    def rate(o: Outcome) -> float | None:
        return None if o.rate is None else round(o.rate, 4)

    return {
        "year": fig.period.year,
        "period": fig.period.key,
        "as_of": fig.as_of.astimezone(fig.tz).isoformat(timespec="minutes"),
        "items": {k: {"total": o.total, "done_on_time": o.on_time, "done_late": o.late,
                      "open": o.open, "overdue": o.overdue} for k, o in fig.kinds.items()},
        "units": [{"unit": u.unit, "kind": u.kind, "due": u.outcome.due,
                   "on_time": u.outcome.on_time, "late": u.outcome.late,
                   "missing": u.outcome.missing, "rate": rate(u.outcome)} for u in fig.units],
        "activities": {c.category: {"count": c.count, "times": c.times, "people": c.people,
                                    "amount": c.amount, "pieces": c.pieces}
                       for c in fig.activities},
        "reminders": {k.value: fig.reminders.get(k.value, 0) for k in ReminderKind
                      if k is not ReminderKind.SUMMARY},
        "meetings": {"held": fig.meetings_held, "minutes_due": fig.minutes.due,
                     "minutes_on_time": fig.minutes.on_time, "minutes_late": fig.minutes.late},
        "extensions": fig.extensions,
        "monthly_overdue": {m.strftime("%Y-%m"): n for m, n in fig.monthly_overdue},
        "has_data": fig.has_data,
    }
