"""`calendar load` says what it moved; `recur add` says when it will generate nothing."""

from __future__ import annotations


def _street(cli, name="示例一街道办事处", email="jd1@example.org"):
    cli("unit", "add", "--name", name, "--kind", "街道办事处", "--contact", "站长",
        "--email", email)


def test_calendar_load_prints_what_moved(cli, tmp_path):
    _street(cli)
    cli("--now", "2026-12-01T09:00", "recur", "add", "--name", "年初材料", "--kind", "报送节点",
        "--freq", "monthly", "--nth-workday", "3", "--time", "17:00", "--all-street-offices")
    cli("sweep", "--now", "2026-12-01T10:00")
    csv = tmp_path / "2027.csv"
    csv.write_text("日期,类型,名称\n2027-01-01,休,元旦\n", encoding="utf-8")

    result = cli("--now", "2026-12-02T09:00", "calendar", "load", csv)

    assert "年初材料（示例一街道办事处）：2027-01-05 调整为 2027-01-06" in result.stdout
    items = cli.json("item", "list", "--kind", "报送节点")
    assert [i["deadline"] for i in items] == ["2026-12-03T17:00+08:00", "2027-01-06T17:00+08:00"]


def test_recur_add_warns_about_no_units_and_a_past_start(cli):
    result = cli("--now", "2026-12-01T09:00", "recur", "add", "--name", "周汇报",
                 "--kind", "报送节点", "--freq", "weekly", "--weekdays", "5",
                 "--all-street-offices", "--start", "2026-10-01")
    assert "开始日期 2026-10-01 早于今天，已改为从今天（2026-12-01）开始生成" in result.stderr
    assert "目前没有街道办事处，暂不生成任何事项" in result.stderr


def test_recur_list_marks_a_template_nobody_owes(cli):
    cli("recur", "add", "--name", "周汇报", "--kind", "报送节点", "--freq", "weekly",
        "--weekdays", "5", "--all-street-offices")
    assert "全部街道办事处（目前没有，暂不生成）" in cli("recur", "list").stdout
    _street(cli)
    assert "暂不生成" not in cli("recur", "list").stdout
