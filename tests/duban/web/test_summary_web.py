"""工作台账 and 年度总结 in the browser's way: an activity registered through the form, and the
summary button whose background run offers the same .docx as the job the CLI runs."""

from __future__ import annotations

import re

from sqlmodel import select

from duban import jobs
from models.store.tables import Activity


def test_a_supervisor_registers_an_activity_and_a_bad_one_changes_nothing(bureau):
    client = bureau.client("supervisor")
    form = {"csrf": bureau.csrf(client, "/activities"), "day": "2026-11-20", "category": "走访慰问",
            "title": "走访慰问困难退役军人", "unit": "", "people": "35", "times": "", "amount": "",
            "pieces": "", "note": ""}
    added = client.post("/activities", data=form)
    assert added.status_code == 200 and "已登记：走访慰问困难退役军人" in added.text
    assert "<td>走访慰问困难退役军人</td>" in added.text
    bad = client.post("/activities", data={**form, "title": "", "people": "很多"})
    assert bad.status_code == 400 and 'class="error"' in bad.text
    with bureau.session() as session:
        assert [a.people for a in session.exec(select(Activity))] == [35]


def test_the_summary_button_runs_the_job_and_offers_the_same_file_as_the_cli(bureau, tmp_path):
    client = bureau.client("supervisor")
    empty = client.post("/summary/start", data={"csrf": bureau.csrf(client, "/summary"), "period": ""})
    assert empty.status_code == 400 and "请填写期间" in empty.text
    future = client.post("/summary/start", data={"csrf": bureau.csrf(client, "/summary"),
                                                 "period": "2030"})
    assert future.status_code == 400
    started = client.post("/summary/start", data={"csrf": bureau.csrf(client, "/summary"),
                                                  "period": "2026"})
    assert started.status_code == 303
    run = re.search(r"run=(\w+)", started.headers["location"]).group(1)
    status = bureau.app.state.summary_runs.wait(run, timeout=120)
    assert status.state == "done", status.error
    page = client.get(f"/summary?run={run}")
    assert "已生成" in page.text and f"/summary/file?run={run}" in page.text
    download = client.get(f"/summary/file?run={run}")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    by_cli = jobs.run_year_end_summary(bureau.settings, now=bureau.now[0], period="2026",
                                       notify=False, out=tmp_path / "cli.docx")
    assert download.content == by_cli.path.read_bytes()
