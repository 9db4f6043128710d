"""An administrator's templates render within bounds of time and memory (issue 16: an override
with '%2000000000d' % 1 took 5.7 GB, nested loops hung delivery). A template past a bound fails
its message with a clear error; the worker is replaced, other templates go on rendering, and
the bad one fails at once until its folder changes."""

from __future__ import annotations

import pytest

from models.errors import RenderError
from notifications import bounded
from notifications.render import render_email

CONTEXT = {"item": {"title": "做好优待证办理工作", "unit": "优抚褒扬科", "deadline": "2026-12-31",
                    "days_overdue": 3, "workdays_left": 0, "code": "A-1", "kind": "整改事项",
                    "person": None, "measure": None, "detail": None, "source": None, "id": 1},
           "unit_contact": "刘洋", "leader": "吴立新", "bureau": "区退役军人事务局",
           "now": "2026-12-01 10:00", "recipient_name": "刘洋"}
MEMORY_BOMB = "{{ '%2000000000d' % 1 }}"
TIME_BOMB = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "SECONDS", 1.0)
    path = tmp_path / "templates"
    path.mkdir()
    return path


def _render(template: str, folder):
    return render_email(template, CONTEXT, sender="duban@example.org", to=["youfu@example.org"],
                        message_id="<1@duban.example.org>", templates_dir=folder)


def test_a_template_asking_for_gigabytes_fails_its_message(folder):
    (folder / "overdue.txt.j2").write_text(MEMORY_BOMB, encoding="utf-8")

    with pytest.raises(RenderError, match=r"模板 overdue 渲染所需内存超过 256 MB，已中止"):
        _render("overdue", folder)

    assert "做好优待证办理工作" in _render("due_soon", folder).message.get_body(("plain",)).get_content()


def test_a_template_that_never_ends_fails_its_message_and_then_fails_at_once(folder):
    (folder / "overdue.html.j2").write_text(TIME_BOMB, encoding="utf-8")

    with pytest.raises(RenderError, match=r"模板 overdue 渲染超过 1 秒，已中止"):
        _render("overdue", folder)
    with pytest.raises(RenderError, match=r"不再尝试，修改模板文件后恢复"):
        _render("overdue", folder)  # no second second spent on it
    assert _render("due_soon", folder).message["Subject"]  # the others render as before

    (folder / "overdue.html.j2").write_text("<p>{{ item.title }}</p>", encoding="utf-8")
    assert "做好优待证办理工作" in _render("overdue", folder).message.get_body(("html",)).get_content()


def test_ordinary_template_errors_are_reported_as_before(folder):
    (folder / "overdue.txt.j2").write_text("{{ item.no_such_field }}", encoding="utf-8")

    for _ in range(2):  # not disabled: nothing exceeded a bound
        with pytest.raises(RenderError, match=r"^模板 overdue.txt.j2 渲染失败：.*no_such_field"):
            _render("overdue", folder)
