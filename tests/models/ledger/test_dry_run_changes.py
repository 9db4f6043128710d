"""``import --dry-run`` names each change (item, field, old → new); deadlines on days off are
warned about (issue 14: it said only "新增 1 项、更新 1 项")."""

from __future__ import annotations

NOW = ["--now", "2026-12-01T10:00"]
HEADER = "编号,类别,事项名称,责任单位,完成时限,状态\n"


def _csv(tmp_path, name: str, rows: str):
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_dry_run_lists_every_item_and_field_that_would_change(make_cli, tmp_path):
    cli = make_cli()
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bgs@example.org")
    cli("import", _csv(tmp_path, "a.csv", "ZG-1,整改事项,做好优待证办理工作,办公室,2026-12-31,未开始\n"
                                          "ZG-2,整改事项,规范档案管理,办公室,2026-12-18,进行中\n"), *NOW)
    changed = _csv(tmp_path, "b.csv", "ZG-1,整改事项,做好优待证办理工作,办公室,2027-01-15,进行中\n"
                                      "ZG-2,整改事项,规范档案管理,办公室,2026-12-18,进行中\n"
                                      "ZG-3,任务,新增的事项,办公室,2026-12-25,未开始\n")

    result = cli("import", changed, "--dry-run", *NOW)

    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[0].startswith(
        "检查通过，未写入（--dry-run）。导入将会：事项 新增 1 项、更新 1 项、未变 1 项")
    assert "第2行 更新事项 ZG-1（ID 1）：完成时限 2026-12-31 → 2027-01-15；状态 未开始 → 进行中" \
        in lines
    assert "第4行 新增事项 ZG-3《新增的事项》（办公室，完成时限 2026-12-25）" in lines
    assert not any("ZG-2" in line for line in lines)  # unchanged: not listed


def test_a_deadline_on_a_day_off_is_warned_about_and_imported_as_written(make_cli, tmp_path):
    cli = make_cli()
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bgs@example.org")
    path = _csv(tmp_path, "c.csv", "ZG-9,任务,国庆值班安排,办公室,2026-10-05,未开始\n")

    result = cli("import", path, *NOW)

    assert ("警告：事项 第2行 编号 ZG-9：完成时限 2026-10-05 是国庆假期（非工作日），"
            "前一工作日为 2026-09-30，后一工作日为 2026-10-08") in result.stderr
    assert "新增 1 项" in result.stdout
