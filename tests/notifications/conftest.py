"""Reminder contexts as the engine supplies them (see notifications/render.py).

The SMTP server fixtures (smtp_server, smtp_servers) come from tests/smtp.py.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def item() -> dict[str, Any]:
    return {
        "id": 7, "code": "DB-2026-007", "title": "做好优待证办理工作", "kind": "整改事项",
        "unit": "优抚褒扬科", "person": "刘洋", "deadline": "2026-11-30", "days_overdue": 3,
        "workdays_left": 2, "measure": "每周汇总办理进度", "detail": "逐户核对优待证申领材料",
        "source": "区委巡察反馈",
    }


@pytest.fixture
def context(item) -> dict[str, Any]:
    """For due_soon, overdue, escalation and circulation."""
    return {"item": item, "recipient_name": "刘洋", "unit_contact": "刘洋", "leader": "吴立新",
            "bureau": "区退役军人事务局", "now": "2026-12-01 10:00"}


@pytest.fixture
def digest_context(item) -> dict[str, Any]:
    return {
        "recipient_name": "张建国", "bureau": "区退役军人事务局", "now": "2026-12-01 10:00",
        "counts": {"正常": 12, "临期": 2, "逾期": 1, "已办结": 30, "已撤销": 1},
        "units": [{"unit": "优抚褒扬科", "逾期": 1, "临期": 1, "正常": 4},
                  {"unit": "新华街道办事处", "逾期": 0, "临期": 1, "正常": 8}],
        "overdue": [item],
        "failed": [{"recipient": "nobody@example.org", "subject": "关于《走访慰问》即将到期的提醒",
                    "error": "邮件服务器 smtp:25 拒收：550 5.1.1 user unknown"}],
    }
