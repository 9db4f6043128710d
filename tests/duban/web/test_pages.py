"""What the pages show and refuse: escaped titles, downloads, validation beside the field with
nothing saved, upload limits, the filtered export, the overview's counts."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlmodel import select

from models.store.tables import Account, Item, Submission


def test_a_title_holding_html_is_shown_as_text(bureau):
    client = bureau.client("supervisor")
    for path in (f"/items/{bureau.ids['item:html']}", "/items?q=script"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;加粗&lt;/b&gt;" in page


def test_every_page_says_nosniff_and_refuses_framing(bureau):
    response = bureau.client("supervisor").get("/overview")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_file_downloads_as_an_attachment_only_for_those_who_may_see_its_item(bureau):
    file_id = bureau.ids["file:a"]
    for persona in ("own_unit", "supervisor", "leader"):
        response = bureau.client(persona).get(f"/files/{file_id}")
        assert response.status_code == 200
        assert response.content == b"%PDF-1.4 test file\n"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E6%9D%90%E6%96%99.pdf" in response.headers["content-disposition"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-type"] == "application/octet-stream"
    assert bureau.client("other_unit").get(f"/files/{file_id}").status_code == 404
    assert bureau.client("own_unit").get("/files/999999").status_code == 404


def test_another_units_item_is_the_same_404_as_a_missing_one(bureau):
    client = bureau.client("other_unit")
    foreign = client.get(f"/items/{bureau.ids['item:a']}")
    missing = client.get("/items/999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text.replace(bureau.csrf(client), "") == missing.text.replace(bureau.csrf(client), "")
    listed = client.get("/items").text
    assert "做好优待证办理工作" not in listed and "服务站材料报送" in listed


def test_a_refused_form_shows_the_message_beside_its_field_and_saves_nothing(bureau):
    client = bureau.client("own_unit")
    item_id = bureau.ids["item:later"]
    response = client.post(f"/items/{item_id}/submit", data={"csrf": bureau.csrf(client), "note": " "})
    assert response.status_code == 400
    assert re.search(r'<textarea name="note"[^>]*>[^<]*</textarea><span class="error" id="note-error">'
                     r"报送内容 “”：至少附一个文件", response.text)
    bad_date = client.post(f"/items/{bureau.ids['item:new']}/extension",
                           data={"csrf": bureau.csrf(client), "to": "2026-02-30", "reason": "数据未到"})
    assert bad_date.status_code == 400
    assert 'id="to-error">延期至 “2026-02-30”' in bad_date.text
    assert 'value="2026-02-30"' in bad_date.text  # what was typed stays in the field
    twice = client.post(f"/items/{item_id}/extension",  # one is pending already: said on top
                        data={"csrf": bureau.csrf(client), "to": "2027-01-31", "reason": "再延"})
    assert twice.status_code == 400 and '<p class="error" role="alert">' in twice.text
    with bureau.session() as session:
        assert session.exec(select(Submission).where(Submission.item_id == item_id)).all() == []


def test_the_admin_form_names_the_bad_field_and_adds_no_account(bureau):
    client = bureau.client("admin")
    response = client.post("/settings/users", data={"csrf": bureau.csrf(client, "/settings"),
                                                    "name": "街道新人", "role": "unit", "unit": "",
                                                    "password": "long-enough-1"})
    assert response.status_code == 400
    assert 'id="unit-error">' in response.text and "必须指定所属单位" in response.text
    short = client.post("/settings/users", data={"csrf": bureau.csrf(client, "/settings"),
                                                 "name": "督办新人", "role": "supervisor",
                                                 "password": "short"})
    assert 'id="password-error">至少 8 个字符' in short.text
    with bureau.session() as session:
        names = set(session.exec(select(Account.name)))
    assert not names & {"街道新人", "督办新人"}


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(bureau):
    client = bureau.client("own_unit")
    item_id = bureau.ids["item:later"]
    big = io.BytesIO(b"x" * (2 * 1024 * 1024))  # the bureau's limit is 1 MB
    response = client.post(f"/items/{item_id}/submit", data={"csrf": bureau.csrf(client)},
                           files={"file": ("大文件.pdf", big, "application/pdf")})
    assert response.status_code == 413
    assert "超过上限 1 MB" in response.text
    with bureau.session() as session:
        assert session.get(Item, item_id).status.value == "未开始"


def test_the_export_holds_the_filtered_view(bureau):
    client = bureau.client("supervisor")
    response = client.get("/items/export.xlsx?light=逾期")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content))["逾期"]
    titles = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert "做好优待证办理工作" in titles and "服务站材料报送" not in titles


def test_the_overview_counts_by_light_and_the_loop(bureau):
    page = bureau.client("leader").get("/overview").text
    tiles = {label: int(n) for n, label in re.findall(r"<b>(\d+)</b>([^<]+)</a>", page)}
    # 逾期: A-1 (11-27) and the meeting (11-30 09:00); 临期: A-2 (12-03, submitted, waiting);
    # 正常: B-1, A-3, A-4, A-5. A-5 was assigned two hours ago: not yet 未签收.
    assert tiles == {"逾期": 2, "临期": 1, "正常": 4, "已办结": 0, "未签收": 0, "待审核": 1,
                     "待审批延期": 1}
    assert "<svg" in page and "考核排名" in page


def test_a_query_with_a_nul_or_other_illegal_character_is_refused_with_a_chinese_400(bureau):
    client = bureau.client("supervisor")
    for value in ("\x00", "a\ufffeb", "\x07"):
        response = client.get("/items", params={"q": value})
        assert response.status_code == 400 and "查询参数 q" in response.text


def test_a_form_field_with_a_nul_is_refused_before_it_reaches_the_database(bureau):
    anonymous = bureau.client()
    token = bureau.csrf(anonymous, "/login")
    login = anonymous.post("/login", data={"csrf": token, "username": "a\x00b", "password": "x"})
    assert login.status_code == 400
    client = bureau.client("leader")
    item = bureau.ids["item:a"]
    response = client.post(f"/items/{item}/instruct", data={
        "csrf": bureau.csrf(client, f"/items/{item}"), "text": "请\x00办结"})
    assert response.status_code == 400 and "text" in response.text


def test_counted_ahead_the_first_overview_does_not_count_the_table_again(bureau, monkeypatch):
    bureau.app.state.web.count_units_ahead()  # what a starting server does in the background

    def recount(*_):
        raise AssertionError("the whole table was counted again")

    monkeypatch.setattr("duban.web.context.unit_totals", recount)
    page = bureau.client("leader").get("/overview")
    assert page.status_code == 200 and "考核排名" in page.text


def test_counting_ahead_that_fails_leaves_the_count_to_the_first_overview(bureau, monkeypatch,
                                                                          caplog):
    def broken(*_):
        raise RuntimeError("database away")

    monkeypatch.setattr("duban.web.context.unit_totals", broken)
    bureau.app.state.web.count_units_ahead()  # logs, never raises into the server
    assert "总览统计预先计算失败" in caplog.text
    monkeypatch.undo()
    page = bureau.client("leader").get("/overview")
    assert page.status_code == 200 and "考核排名" in page.text


def test_deadlines_read_as_people_write_them_not_as_iso(bureau):
    for persona, path in (("leader", "/items"), ("own_unit", "/mine"), ("leader", "/items?light=逾期")):
        page = bureau.client(persona).get(path).text
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page), path
        assert not re.search(r"T\d\d:\d\d\+08:00", page), path
