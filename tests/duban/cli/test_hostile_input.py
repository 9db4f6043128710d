"""Hostile input through the command line (issue 16): characters XML cannot carry refused with
the field named, a file behind a symbolic link never followed, a bad DUBAN_SMTP_FROM caught at
start with nothing claimed."""

from __future__ import annotations

import os

import pytest

from duban.cli import app


def _item(cli, **fields) -> int:
    args = ["item", "add", "--kind", "任务", "--title", "做好优待证办理工作", "--unit", "优抚褒扬科",
            "--deadline", "2026-12-31"]
    for name, value in fields.items():
        args[args.index(f"--{name}") + 1] = value
    cli(*args)
    return cli.json("item", "list")[-1]["id"]


@pytest.fixture
def bureau(cli):
    cli("unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org")
    return cli


@pytest.mark.parametrize(("args", "field"), [
    (["item", "add", "--kind", "任务", "--title", "标题\ufffe", "--unit", "优抚褒扬科",
      "--deadline", "2026-12-31"], "事项名称"),
    (["unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李\uffff静",
      "--email", "bgs@example.org"], "联系人"),
    (["--by", "督办\ufffe员", "unit", "list"], "操作人"),
])
def test_characters_xml_cannot_carry_are_refused_with_the_field_named(bureau, args, field):
    result = bureau(*args, code=1)

    assert f"错误：{field}" in result.stderr and "不允许的字符（U+FFF" in result.stderr
    assert [u["name"] for u in bureau.json("unit", "list")] == ["优抚褒扬科"]
    assert bureau.json("item", "list") == []


def test_progress_notes_are_checked_the_same_way(bureau):
    item = _item(bureau)

    result = bureau("item", "progress", str(item), "已完成\ufffe初审", code=1)

    assert "进展" in result.stderr and "U+FFFE" in result.stderr


def test_submit_does_not_follow_a_symbolic_link(bureau, tmp_path):
    """Issue 16: a symlink to /etc/shadow was followed and the secret copied into DUBAN_HOME."""
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::")
    link = tmp_path / "材料.pdf"
    link.symlink_to(secret)
    item = _item(bureau)

    result = bureau("submit", str(item), "--file", str(link), code=1)

    assert "是符号链接，不予读取" in result.stderr
    files = tmp_path / "home" / "files"
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))
    assert bureau.json("item", "show", str(item))["status"] == "未开始"


@pytest.mark.parametrize("make", ["fifo", "directory", "device"])
def test_submit_refuses_anything_but_a_regular_file(bureau, tmp_path, make):
    path = tmp_path / "材料"
    if make == "fifo":
        os.mkfifo(path)  # a plain open() would wait here for a writer
    elif make == "directory":
        path.mkdir()
    else:
        path = "/dev/zero"  # read_bytes() would never end
    item = _item(bureau)

    result = bureau("submit", str(item), "--file", str(path), code=1)

    assert "不是普通文件" in result.stderr


def test_a_bad_sender_is_refused_at_start_and_nothing_is_claimed(bureau):
    """Issue 16: a bad DUBAN_SMTP_FROM let deliver claim rows, fail them all, and leave them
    `sending` for 10 minutes with an attempt used up."""
    bureau("--now", "2026-11-30T18:00", "demo")
    bureau("sweep", "--now", "2026-12-01T10:00")
    before = bureau.json("outbox")
    assert before and {r["status"] for r in before} == {"pending"}

    for sender in ("not an address", "a@b.org, c@d.org", "督办 <duban@example.org>\r\nBcc: x@y.org"):
        result = bureau.runner.invoke(app, ["deliver", "--now", "2026-12-01T10:00"],
                                      env={"DUBAN_SMTP_FROM": sender})
        assert result.exit_code == 1, result.output
        assert "DUBAN_SMTP_FROM" in result.stderr

    assert bureau.json("outbox") == before  # nothing claimed, no attempt used
