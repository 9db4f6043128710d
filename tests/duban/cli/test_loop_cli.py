"""The closed loop through the CLI: item ack / progress --file / accept / return / instruct /
urge, submit that waits for 审核, and extension request / approve / reject / list. Refusals
exit 1 with a Chinese message and write nothing."""

from __future__ import annotations

UNIT = ["unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org", "--leader", "吴立新", "--leader-email", "wu@example.org"]
T = "2026-12-01T10:00"


def _add(cli, kind: str = "整改事项", deadline: str = "2026-12-04") -> int:
    result = cli("--now", "2026-11-30T10:00", "item", "add", "--kind", kind, "--title",
                 "做好优待证办理工作", "--unit", "优抚褒扬科", "--deadline", deadline)
    return int(result.stdout.strip())


def _history(cli, item_id: int) -> list[tuple[str, str]]:
    return [(e["action"], e["actor"]) for e in cli.json("item", "show", item_id)["history"]]


def test_ack_then_show_and_a_second_ack_is_refused(cli):
    cli(*UNIT)
    item_id = _add(cli)
    assert cli.json("item", "show", item_id, "--now", "2026-12-02T10:00")["unacked"] is True
    assert cli("--by", "刘洋", "--now", T, "item", "ack", item_id).stdout.strip() == \
        f"已签收事项 {item_id}"
    shown = cli.json("item", "show", item_id, "--now", "2026-12-02T10:00")
    assert (shown["acked"], shown["unacked"], shown["acked_by"], shown["acked_at"]) == (
        True, False, "刘洋", "2026-12-01 10:00")
    assert ("ack", "刘洋") in _history(cli, item_id)
    assert "已由刘洋签收，不能重复签收" in cli("item", "ack", item_id, code=1).stderr
    assert "事项 “99” 不存在" in cli("item", "ack", "99", code=1).stderr


def test_progress_with_a_file(cli, tmp_path):
    cli(*UNIT)
    item_id = _add(cli)
    doc = tmp_path / "初审意见.pdf"
    doc.write_bytes(b"%PDF-1.4 demo")
    out = cli("--by", "刘洋", "item", "progress", item_id, "已完成初审", "--file", doc).stdout
    assert out.strip() == f"已记录事项 {item_id} 的进展（附件 1 个）"
    shown = cli.json("item", "show", item_id)
    assert [(p["note"], p["author"], p["files"]) for p in shown["progress"]] == [
        ("已完成初审", "刘洋", ["初审意见.pdf"])]
    stored = list((tmp_path / "home" / "files").rglob("*"))
    assert any(f.is_file() and f.read_bytes() == b"%PDF-1.4 demo" for f in stored)
    missing = cli("item", "progress", item_id, "又一条", "--file", tmp_path / "无.pdf", code=1)
    assert "不存在或不是普通文件" in missing.stderr
    assert len(cli.json("item", "show", item_id)["progress"]) == 1


def test_submit_waits_for_review_then_return_and_accept(cli):
    cli(*UNIT)
    item_id = _add(cli)
    out = cli("--by", "刘洋", "submit", item_id, "--note", "已整改", "--now", T).stdout
    assert out.strip() == f"已提交事项 {item_id}（按期），等待审核"
    assert cli.json("item", "show", item_id)["status"] == "已提交"
    again = cli("submit", item_id, "--note", "再交", "--now", T, code=1)
    assert "已提交，正等待审核" in again.stderr
    assert "退回理由" in cli("item", "return", item_id, "--reason", " ", code=1).stderr
    cli("--by", "张敏", "--now", "2026-12-02T10:00", "item", "return", item_id, "--reason", "缺佐证")
    shown = cli.json("item", "show", item_id)
    assert shown["status"] == "进行中"
    assert [(s["verdict"], s["review_note"]) for s in shown["submissions"]] == [("退回", "缺佐证")]
    refused = cli("item", "accept", item_id, code=1)
    assert "不是“已提交”，不能审核通过" in refused.stderr
    cli("--by", "刘洋", "submit", item_id, "--note", "补充佐证", "--now", "2026-12-07T10:00")
    out = cli("--by", "张敏", "--now", "2026-12-07T11:00", "item", "accept", item_id).stdout
    assert out.strip() == f"事项 {item_id} 审核通过，已销号（逾期）"
    shown = cli.json("item", "show", item_id)
    assert (shown["status"], shown["completed_at"]) == ("已办结", "2026-12-07T10:00+08:00")
    text = cli("item", "show", item_id).stdout
    assert "已退回（张敏 2026-12-02 10:00：缺佐证）" in text and "审核通过（张敏 2026-12-07 11:00）" in text


def test_a_submission_node_is_done_on_submit(cli):
    cli(*UNIT)
    item_id = _add(cli, kind="报送节点")
    assert cli("submit", item_id, "--note", "已报送", "--now", T).stdout.strip() == \
        f"已报送事项 {item_id}（按期）"
    assert cli.json("item", "show", item_id)["status"] == "已办结"


def test_review_kinds_are_a_setting(cli):
    cli(*UNIT)
    item_id = _add(cli)
    cli.runner.env["DUBAN_REVIEW_KINDS"] = ""
    assert cli("submit", item_id, "--note", "已整改", "--now", T).stdout.strip() == \
        f"已报送事项 {item_id}（按期）"
    cli.runner.env["DUBAN_REVIEW_KINDS"] = "整改"
    bad = cli("item", "list", code=1)
    assert "DUBAN_REVIEW_KINDS" in bad.stderr and "整改" in bad.stderr


def test_instruction_is_shown_first(cli):
    cli(*UNIT)
    item_id = _add(cli)
    cli("--by", "赵明远", "--now", T, "item", "instruct", item_id, "请本周内办结")
    text = cli("item", "show", item_id).stdout
    assert text.splitlines()[0] == "领导批示：请本周内办结（赵明远，2026-12-01 10:00）"
    assert cli.json("item", "show", item_id)["instructions"] == [
        {"at": "2026-12-01 10:00", "author": "赵明远", "text": "请本周内办结"}]


def test_urge_queues_and_refuses(cli):
    cli(*UNIT)
    a, b = _add(cli), _add(cli)
    out = cli("--by", "督办员", "--now", T, "item", "urge", a, b, "--to", "wu@example.org").stdout
    assert "催办通知 2 封" in out
    rows = cli.json("outbox")
    assert sorted((r["item_id"], r["recipient"], r["reminder"]) for r in rows) == [
        (a, "wu@example.org", "催办"), (b, "wu@example.org", "催办")]
    assert "不是有效的邮箱地址" in cli("item", "urge", a, "--to", "nobody", code=1).stderr
    cli("item", "cancel", b)
    assert "不能催办" in cli("--now", "2026-12-01T11:00", "item", "urge", a, b, code=1).stderr
    assert len(cli.json("outbox")) == 2


def test_extension_request_approve_reject_and_list(cli):
    cli(*UNIT)
    item_id = _add(cli)
    out = cli("--by", "刘洋", "--now", T, "extension", "request", item_id, "--to", "2026-12-18",
              "--reason", "需协调财政资金").stdout
    assert out.strip() == f"已提交延期申请 1（事项 {item_id}），等待审批"
    [pending] = cli.json("extension", "list")
    assert (pending["from"], pending["to"], pending["status"]) == ("2026-12-04", "2026-12-18", "待审批")
    assert cli.json("item", "show", item_id)["pending_extension"] is True
    out = cli("--by", "张敏", "--now", "2026-12-02T09:00", "extension", "approve", "1").stdout
    assert out.strip() == f"已批准延期申请 1：事项 {item_id} 的完成时限改为 2026-12-18"
    shown = cli.json("item", "show", item_id)
    assert (shown["deadline"], shown["original_deadline"], shown["pending_extension"]) == (
        "2026-12-18", "2026-12-05T00:00+08:00", False)
    assert cli.json("extension", "list") == []
    # A second request, rejected; a late one, refused.
    cli("--now", "2026-12-03T09:00", "extension", "request", item_id, "--to", "2026-12-25",
        "--reason", "再延")
    assert "驳回理由" in cli("extension", "reject", "2", "--reason", "", code=1).stderr
    cli("--by", "张敏", "extension", "reject", "2", "--reason", "理由不充分")
    assert cli.json("item", "show", item_id)["deadline"] == "2026-12-18"
    late = cli("--now", "2026-12-19T09:00", "extension", "request", item_id, "--to", "2026-12-31",
               "--reason", "再延", code=1)
    assert "已过完成时限 2026-12-18，不能再申请延期" in late.stderr
    assert "应晚于当前完成时限" in cli("--now", T, "extension", "request", item_id, "--to",
                                      "2026-12-10", "--reason", "x", code=1).stderr
    assert "延期申请 “9” 不存在" in cli("extension", "approve", "9", code=1).stderr


def test_overview_counts_the_loop(cli):
    cli(*UNIT)
    unacked, waiting = _add(cli), _add(cli)
    cli("--by", "刘洋", "submit", waiting, "--note", "已整改", "--now", T)
    cli("--now", T, "extension", "request", unacked, "--to", "2026-12-18", "--reason", "协调")
    out = cli("overview", "--now", "2026-12-02T10:00").stdout
    assert "未签收 1  待审核 1  待审批延期 1" in out
