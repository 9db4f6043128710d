"""The bureau's vocabulary as enums; values are the Chinese words users see and type."""

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class UnitKind(StrEnum):
    DEPARTMENT = "科室"
    STREET_OFFICE = "街道办事处"
    OTHER = "其他"


class PersonRole(StrEnum):
    HEAD = "主要负责人"
    SUPERVISOR = "督办人员"


class ItemKind(StrEnum):
    RECTIFICATION = "整改事项"
    SUBMISSION = "报送节点"
    MEETING = "会议"
    TASK = "任务"


class ItemStatus(StrEnum):
    NOT_STARTED = "未开始"
    IN_PROGRESS = "进行中"
    SUBMITTED = "已提交"
    DONE = "已办结"
    CANCELLED = "已撤销"

    @property
    def is_closed(self) -> bool:
        return self in (ItemStatus.DONE, ItemStatus.CANCELLED)


OPEN_STATUSES = tuple(s for s in ItemStatus if not s.is_closed)


class Light(StrEnum):
    """The supervision status shown as 红黄绿灯."""

    GREEN = "正常"
    YELLOW = "临期"
    RED = "逾期"
    DONE = "已办结"
    CANCELLED = "已撤销"


def parse_enum(enum_cls: type[E], value: str) -> E | None:
    """Return the member whose Chinese value (or English name) is ``value``, else None."""
    text = value.strip()
    for member in enum_cls:
        if text in (member.value, member.name, member.name.lower()):
            return member
    return None


class ReminderKind(StrEnum):
    """What a message is: one template each (notifications/templates/<name>.*.j2)."""

    DUE_SOON = "临期提醒"
    OVERDUE = "逾期催办"
    ESCALATION = "督办"
    CIRCULATION = "通报"
    DIGEST = "周报"
    MEETING = "会议提醒"
    MEETING_CHANGE = "会议变更"
    MEETING_CANCEL = "会议取消"
