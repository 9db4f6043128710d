"""The work ledger (工作台账): activities and the categories they are counted under.

An activity is something the bureau did on a day (a class, a visit, cards issued) with its
figures. The same cleaning (``clean_activity``) serves the CLI, the web form and every row of
an imported sheet, so a value is refused with the same words wherever it was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, func, select

from models.domain import validation
from models.domain.parsing import parse_date
from models.errors import InputError, NotFound, Refused
from models.records.submissions import StoredFile
from models.store.events import record_event, snapshot
from models.store.tables import Activity, ActivityCategory, Unit

# The ledger's column name for each field; messages use these words.
ACTIVITY_LABELS = {
    "day": "日期",
    "category": "类别",
    "title": "活动名称",
    "unit": "责任单位",
    "times": "次数",
    "people": "人数",
    "amount": "金额",
    "pieces": "件数",
    "note": "备注",
}
# The figures an activity may carry, with the word each is counted in.
MEASURES = {"times": "次", "people": "人", "amount": "元", "pieces": "件"}
MAX_MEASURE = 10**9


@dataclass(frozen=True)
class ActivityView:
    id: int
    day: date
    category: str
    title: str
    unit: str | None
    times: int | None
    people: int | None
    amount: float | None
    pieces: int | None
    note: str | None
    attachments: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "日期": self.day.isoformat(), "类别": self.category,
                "活动名称": self.title, "责任单位": self.unit, "次数": self.times,
                "人数": self.people, "金额": self.amount, "件数": self.pieces,
                "备注": self.note, "附件": self.attachments}


def _measure(key: str, value: Any) -> int | float | None:
    label = ACTIVITY_LABELS[key]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError(label, value, "应为数字")
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InputError(label, value, "应为数字") from None
    if not number.is_finite() or number < 0:
        raise InputError(label, value, "应为不小于 0 的数字")
    if number > MAX_MEASURE:
        raise InputError(label, value, f"超过上限 {MAX_MEASURE}")
    if key == "amount":
        if number != number.quantize(Decimal("0.01")):
            raise InputError(label, value, "最多保留两位小数（单位：元）")
        return float(number)
    if number != number.to_integral_value():
        raise InputError(label, value, "应为整数")
    return int(number)


def clean_activity_field(key: str, value: Any) -> Any:
    """One field's checked value (None for an empty optional field); InputError if bad."""
    label = ACTIVITY_LABELS[key]
    if key == "day":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if value is None or not str(value).strip():
            raise InputError(label, "", "不能为空")
        return parse_date(str(value), label)
    if key in MEASURES:
        return _measure(key, value)
    if key in ("category", "title"):
        return validation.text(None if value is None else str(value), label,
                               max_len=30 if key == "category" else 200)
    if key == "unit":
        return validation.text(None if value is None else str(value), label, max_len=100,
                               required=False)
    return validation.text(None if value is None else str(value), label, max_len=10_000,
                           required=False, multiline=True)


def clean_activity(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Every field checked; the first bad one raises InputError."""
    return {key: clean_activity_field(key, fields.get(key)) for key in ACTIVITY_LABELS}


def check_not_future(day: date, today: date) -> None:
    if day > today:
        raise InputError(ACTIVITY_LABELS["day"], day.isoformat(),
                         f"不能晚于今天（{today.isoformat()}）：台账只记已开展的活动")


# --- categories -------------------------------------------------------------------------------

def list_categories(session: Session) -> list[ActivityCategory]:
    return list(session.exec(select(ActivityCategory).order_by(
        col(ActivityCategory.position), col(ActivityCategory.id))))


def category_ids(session: Session) -> dict[str, int]:
    return {c.name: c.id for c in list_categories(session)}  # type: ignore[misc]


def category_id(session: Session, name: str) -> int:
    found = category_ids(session).get(name)
    if found is None:
        shown = "、".join(category_ids(session)) or "（无）"
        raise InputError(ACTIVITY_LABELS["category"], name,
                         f"不是已设置的类别（现有：{shown}；可用 duban activity category add 增加）")
    return found


def add_category(session: Session, name: str, *, actor: str, now: datetime) -> ActivityCategory:
    cleaned = clean_activity_field("category", name)
    if cleaned in category_ids(session):
        raise Refused(f"类别“{cleaned}”已存在")
    last = session.exec(select(func.max(ActivityCategory.position))).one() or 0
    category = ActivityCategory(name=cleaned, position=last + 1, created_at=now)
    session.add(category)
    session.flush()
    record_event(session, entity="activity_category", entity_id=category.id,  # type: ignore[arg-type]
                 action="create", actor=actor, at=now, after=snapshot(category))
    return category


# --- activities -------------------------------------------------------------------------------

def unit_ids(session: Session) -> dict[str, int]:
    return {name: uid for uid, name in session.exec(select(Unit.id, Unit.name))}  # type: ignore[misc]


def build_activity(cleaned: Mapping[str, Any], *, category: int, unit: int | None,
                   files: list[StoredFile], actor: str, now: datetime) -> Activity:
    return Activity(day=cleaned["day"], category_id=category, title=cleaned["title"],
                    unit_id=unit, times=cleaned["times"], people=cleaned["people"],
                    amount=cleaned["amount"], pieces=cleaned["pieces"], note=cleaned["note"],
                    attachments=[{"filename": f.filename, "size": f.size, "sha256": f.sha256,
                                  "path": f.path} for f in files],
                    created_at=now, created_by=actor)


def add_activity(session: Session, fields: Mapping[str, Any], *, actor: str, now: datetime,
                 today: date, files: list[StoredFile] = ()) -> Activity:  # type: ignore[assignment]
    """Check and add one activity; InputError (nothing written) when a field is bad."""
    cleaned = clean_activity(fields)
    check_not_future(cleaned["day"], today)
    category = category_id(session, cleaned["category"])
    unit = None
    if cleaned["unit"] is not None:
        unit = unit_ids(session).get(cleaned["unit"])
        if unit is None:
            raise NotFound("责任单位", cleaned["unit"])
    activity = build_activity(cleaned, category=category, unit=unit, files=list(files),
                              actor=actor, now=now)
    session.add(activity)
    session.flush()
    record_event(session, entity="activity", entity_id=activity.id,  # type: ignore[arg-type]
                 action="create", actor=actor, at=now, after=snapshot(activity))
    return activity


def list_activities(session: Session, *, start: date | None = None, end: date | None = None,
                    category: str | None = None, unit: str | None = None) -> list[ActivityView]:
    """Activities between ``start`` and ``end`` (inclusive), by date then id."""
    query = (select(Activity, ActivityCategory.name, Unit.name)
             .join(ActivityCategory, col(ActivityCategory.id) == col(Activity.category_id))
             .outerjoin(Unit, col(Unit.id) == col(Activity.unit_id)))
    if start is not None:
        query = query.where(col(Activity.day) >= start)
    if end is not None:
        query = query.where(col(Activity.day) <= end)
    if category is not None:
        query = query.where(col(Activity.category_id) == category_id(session, category))
    if unit is not None:
        query = query.where(col(Unit.name) == unit)
    rows = session.exec(query.order_by(col(Activity.day), col(Activity.id)))
    return [ActivityView(a.id, a.day, cat, a.title, unit_name, a.times, a.people, a.amount,  # type: ignore[arg-type]
                         a.pieces, a.note, [f["filename"] for f in a.attachments])
            for a, cat, unit_name in rows]
