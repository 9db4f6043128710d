"""duban summary and duban activity through the CLI, on the demo bureau."""

from __future__ import annotations

import json

from docx import Document

NOW = "2026-12-05T10:00"


def _demo(cli):
    cli("--now", NOW, "demo")


def test_demo_2026_json_figures(cli):
    _demo(cli)
    got = cli.json("summary", "--year", "2026", "--as-of", NOW)
    assert got["year"] == 2026
    # ZG2024-01…11 and ZG2023-01…03: 4 on time, ZG2024-02 late, 7 past their deadline
    assert got["items"]["整改事项"] == {"total": 14, "done_on_time": 4, "done_late": 1,
                                      "open": 9, "overdue": 7}
    assert got["activities"]["优待证发放"]["pieces"] == 318 + 241 + 196
    assert isinstance(got["extensions"], int)
    assert set(got["reminders"]) >= {"临期提醒", "逾期催办", "督办", "通报"}
    offices = [u for u in got["units"] if u["kind"] == "街道办事处"]
    assert len(offices) == 13
    assert all(u["due"] == u["on_time"] + u["late"] + u["missing"] for u in got["units"])


def test_demo_2024_activities_carry_the_seed_figures(cli):
    _demo(cli)
    got = cli.json("summary", "--year", "2024", "--as-of", NOW)["activities"]
    assert got["优待证发放"]["pieces"] == 1228  # 发放优待证1228张
    assert got["走访慰问"]["people"] == 2020  # 慰问…共计2020人
    assert got["移交安置"]["people"] == 49  # 49名政府安排工作退役士兵
    assert got["业务培训"]["count"] == 3  # 业务培训2次，知识测试1次
    assert got["集中学习"]["times"] == 1 + 10 + 8  # 宣讲1次，集中学习10次、集中研讨8次
    listed = cli.json("activity", "list", "--period", "2024", "--category", "思政宣讲")
    classes = [a for a in listed if a["活动名称"] == "“老兵课堂”系列主题活动"]
    assert len(classes) == 4  # 老兵课堂 4次
    schools = [a for a in listed if a["活动名称"] == "老兵进校园讲课"]
    assert (len(schools), sum(a["人数"] for a in schools)) == (3, 200)  # 3次，受众200余人


def test_summary_writes_the_docx_in_the_seeds_structure(cli, tmp_path):
    _demo(cli)
    target = tmp_path / "2026年度报告.docx"
    result = cli("summary", "--year", "2026", "--as-of", NOW, "--out", target)
    assert "已生成" in result.stdout
    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    for heading in ("一、工作开展情况", "二、存在的不足、原因及整改情况", "三、2027年工作打算"):
        assert heading in text
    assert "老兵宣讲团成员少，宣讲工作被动开展情况多" in text
    assert "尚未完成的整改事项：" in text and "“做好优待证办理工作”" in text
    assert "逾期完成的整改事项：“吸纳功臣模范充实老兵宣讲团”" in text


def test_html_and_md_forms(cli, tmp_path):
    _demo(cli)
    for suffix in ("html", "md"):
        target = tmp_path / f"r.{suffix}"
        cli("summary", "--period", "2026-H2", "--as-of", NOW, "--out", target)
        text = target.read_text(encoding="utf-8")
        assert "关于2026年下半年工作情况的报告" in text and "下一阶段工作打算" in text
    assert "data:image/png;base64," in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "http" not in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_a_future_year_is_refused(cli, tmp_path):
    result = cli("summary", "--year", "2027", "--as-of", NOW, "--out", tmp_path / "x.docx", code=1)
    assert "--year “2027”：尚未开始" in result.stderr
    assert not (tmp_path / "x.docx").exists()


def test_a_year_without_data_says_so(cli, tmp_path):
    target = tmp_path / "2025.docx"
    result = cli("summary", "--year", "2025", "--as-of", NOW, "--out", target)
    assert "本期间没有数据" in result.stdout
    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    assert "2025年期间，系统中没有登记督办事项和工作台账活动，本报告暂无数据可汇总" in text


def test_bad_output_name_and_period_are_refused(cli, tmp_path):
    assert "报告文件名须以 .docx" in cli("summary", "--year", "2026", "--out",
                                     tmp_path / "x.pdf", code=1).stderr
    assert "--period “2026-Q9”" in cli("summary", "--period", "2026-Q9", "--json", code=1).stderr


def test_carry_over_is_idempotent_and_linked(cli):
    _demo(cli)
    first = cli("summary", "--year", "2026", "--as-of", NOW, "--carry-over")
    assert "新增" in first.stdout
    added = int(first.stdout.split("新增 ")[1].split(" ")[0])
    assert added > 0
    again = cli("summary", "--year", "2026", "--as-of", NOW, "--carry-over")
    assert "新增 0 项" in again.stdout and f"此前已结转 {added} 项" in again.stdout
    carried = [i for i in cli.json("item", "list") if (i.get("source") or "").startswith(
        "2026年度总结·结转")]
    assert len(carried) == added
    assert all(i["deadline"].startswith("2027-03-31") for i in carried)
    assert any("ZG2024-07" in i["source"] for i in carried)


def test_activity_add_list_export_import_roundtrip(cli, tmp_path):
    _demo(cli)
    cli("activity", "add", "--date", "2026-12-01", "--category", "普法宣传", "--title", "宪法宣传周",
        "--unit", "政策法规科", "--people", "120", "--now", NOW)
    listed = cli.json("activity", "list", "--period", "2026-12")
    assert [(a["活动名称"], a["人数"], a["次数"]) for a in listed] == [("宪法宣传周", 120, None)]
    for suffix in ("xlsx", "csv"):
        path = tmp_path / f"台账.{suffix}"
        cli("activity", "export", path, "--period", "2026")
        result = cli("activity", "import", path, "--now", NOW)
        assert "新增 0 项、更新 0 项" in result.stdout


def test_activity_import_lists_every_problem_and_writes_nothing(cli, tmp_path):
    _demo(cli)
    before = len(cli.json("activity", "list"))
    path = tmp_path / "bad.csv"
    path.write_text("日期,类别,活动名称,责任单位,人数\n"
                    "2026-13-01,普法宣传,甲,政策法规科,10\n"
                    "2026-05-01,不存在的类别,乙,,x\n"
                    "2026-06-01,业务培训,丙,政策法规科,5\n"
                    "2026-06-01,业务培训,丙,政策法规科,6\n"
                    "2027-01-01,业务培训,丁,,1\n", encoding="utf-8")
    result = cli("activity", "import", path, "--now", NOW, code=1)
    for needle in ("第2行 日期", "第3行 类别", "第3行 人数", "第5行 活动名称", "与第4行重复",
                   "第6行 日期", "未写入任何数据"):
        assert needle in result.stderr, needle
    assert len(cli.json("activity", "list")) == before


def test_activity_add_refuses_bad_values(cli):
    _demo(cli)
    assert "金额 “1.234”" in cli("activity", "add", "--date", "2026-12-01", "--category", "普法宣传",
                                 "--title", "x", "--amount", "1.234", code=1).stderr
    assert "类别 “闲聊”" in cli("activity", "add", "--date", "2026-12-01", "--category", "闲聊",
                               "--title", "x", code=1).stderr
    json.dumps(cli.json("activity", "list"))
