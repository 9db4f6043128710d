"""台账 in the browser's way: upload, the dry run's problem table or changes, confirm; and the
administrator's settings forms."""

from __future__ import annotations

import re

from sqlmodel import select

from models.store.tables import Account, CalendarDay, Item

GOOD = "编号,事项名称,责任单位,完成时限\nL-1,新台账事项,优抚褒扬科,2026-12-30\n".encode()
BAD = ("编号,事项名称,责任单位,完成时限\n"
       "L-2,,优抚褒扬科,2026-02-30\nL-3,另一项,不存在的科,2026-12-30\n").encode()


def _upload(client, bureau, body: bytes):
    return client.post("/ledger/check", data={"csrf": bureau.csrf(client, "/ledger")},
                       files={"file": ("台账.csv", body, "text/csv")})


def test_a_bad_ledger_lists_every_problem_and_writes_nothing(bureau):
    client = bureau.client("supervisor")
    response = _upload(client, bureau, BAD)
    assert response.status_code == 400
    assert "处错误，未写入任何数据" in response.text
    cells = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", response.text)
    assert ("事项 第2行", "事项名称") in cells and ("事项 第2行", "完成时限") in cells
    assert ("事项 第3行", "责任单位") in cells
    with bureau.session() as session:
        assert session.exec(select(Item).where(Item.code.in_(["L-2", "L-3"]))).all() == []


def test_a_good_ledger_is_checked_then_imported_on_confirmation(bureau):
    client = bureau.client("supervisor")
    checked = _upload(client, bureau, GOOD)
    assert checked.status_code == 200 and "新增事项 1 项" in checked.text
    with bureau.session() as session:
        assert session.exec(select(Item).where(Item.code == "L-1")).first() is None
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    done = client.post("/ledger/import", data={"csrf": bureau.csrf(client, "/ledger"), "token": token})
    assert done.status_code == 200 and "已导入" in done.text
    with bureau.session() as session:
        assert session.exec(select(Item).where(Item.code == "L-1")).one().title == "新台账事项"
    again = client.post("/ledger/import", data={"csrf": bureau.csrf(client, "/ledger"), "token": token})
    assert again.status_code == 400 and "已过期或已导入" in again.text
    forged = client.post("/ledger/import", data={"csrf": bureau.csrf(client, "/ledger"),
                                                 "token": "../../../etc"})
    assert forged.status_code == 400


def test_the_administrator_adds_a_unit_account_and_disables_it(bureau):
    client = bureau.client("admin")
    token = bureau.csrf(client, "/settings")
    added = client.post("/settings/users", data={"csrf": token, "name": "新街道", "role": "unit",
                                                 "unit": "示例一街道办事处", "password": "long-enough-1"})
    assert added.status_code == 303
    with bureau.session() as session:
        account = session.exec(select(Account).where(Account.name == "新街道")).one()
        assert account.unit_id == bureau.ids["unit:b"]
    client.post(f"/settings/users/{account.id}/disable", data={"csrf": token, "disabled": "1"})
    with bureau.session() as session:
        assert session.get(Account, account.id).disabled is True
    own = client.post(f"/settings/users/{bureau.ids['account:admin']}/disable",
                      data={"csrf": token, "disabled": "1"})
    assert own.status_code == 400 and "不能停用自己的账号" in own.text


def test_the_holiday_calendar_is_loaded_from_a_csv(bureau):
    client = bureau.client("admin")
    body = "日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,班,春节\n".encode()
    response = client.post("/settings/calendar", data={"csrf": bureau.csrf(client, "/settings")},
                           files={"file": ("2027.csv", body, "text/csv")})
    assert response.status_code == 303
    with bureau.session() as session:
        assert {d.name for d in session.exec(select(CalendarDay))} == {"元旦", "春节"}
    bad = client.post("/settings/calendar", data={"csrf": bureau.csrf(client, "/settings")},
                      files={"file": ("bad.csv", "日期,类型,名称\n2027-13-01,休,x\n".encode(), "text/csv")})
    assert bad.status_code == 400 and 'id="calendar-error"' in bad.text


def test_a_template_preview_renders_the_reminder_as_it_would_be_sent(bureau):
    page = bureau.client("admin").get("/settings/templates/overdue").text
    assert "逾期未办结的催办通知" in page and "主题：" in page
