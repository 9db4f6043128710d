"""The bureau's vocabulary as enums; values are the Chinese words users see and type."""

from enum import StrEnum
from typing import TypeVar

from models.errors import InputError

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
    """The member whose value or name is ``value`` (spaces around and letter case ignored),
    else None."""
    text = value.strip().casefold()
    for member in enum_cls:
        if text in (member.value.casefold(), member.name.casefold()):
            return member
    return None


def choose(enum_cls: type[E], value: str, field: str) -> E:
    """``parse_enum``, or InputError naming ``field`` and listing the choices: the one way every
    input (CLI option, web form, ledger cell) turns a word into a member."""
    member = parse_enum(enum_cls, value)
    if member is None:
        raise InputError(field, value, "应为 " + "、".join(m.value for m in enum_cls) + " 之一")
    return member


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
    ACK = "签收提醒"  # not acknowledged within a working day
    URGE = "催办"  # sent by hand by a supervisor (手动催办)
    SUMMARY = "年度总结"  # the year-end summary, its .docx attached, to each supervisor


class OutboxStatus(StrEnum):
    """Where one outbox row stands. The values are stored; ``label`` is what people read."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败",
                "dropped": "已撤回"}[self.value]


class Audience(StrEnum):
    """Who a rung of the ladder writes to."""

    CONTACT = "contact"  # the responsible unit's contact person
    LEADER = "leader"  # the unit's lead leader (分管领导)
    BUREAU = "bureau"  # the bureau head (主要负责人) and the supervisors (督办人员)
    ATTENDEES = "attendees"  # a meeting's invitees


class ExtensionStatus(StrEnum):
    PENDING = "待审批"
    APPROVED = "已批准"
    REJECTED = "已驳回"


class Verdict(StrEnum):
    """What 审核 made of a submission."""

    ACCEPTED = "通过"
    RETURNED = "退回"
