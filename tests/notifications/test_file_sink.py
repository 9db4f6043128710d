"""FileSinkTransport: one parseable .eml per Message-ID, written atomically, never duplicated."""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy

import pytest

from models.errors import TransportError
from notifications.render import render_email
from notifications.transport import FileSinkTransport, SendResult


def make(context, n=1, *, title=None):
    if title:
        context["item"]["title"] = title
    return render_email("overdue", context, sender="duban@example.org", to=["刘洋 <youfu@example.org>"],
                        message_id=f"<overdue.7.{n}@duban.example.org>")


def send(sink, *messages):
    async def scenario():
        return [await sink.send(m) for m in messages]
    return asyncio.run(scenario())


def test_a_message_becomes_a_parseable_eml_file(tmp_path, context):
    sink = FileSinkTransport(tmp_path / "outbox")
    assert send(sink, make(context)) == [SendResult(refused={})]
    [path] = (tmp_path / "outbox").iterdir()
    assert path == sink.path_for("<overdue.7.1@duban.example.org>")
    assert path.suffix == ".eml" and path.name.startswith("overdue.7.1@duban.example.org")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == "<overdue.7.1@duban.example.org>"
    assert parsed["Subject"] == "关于《做好优待证办理工作》逾期未办结的催办通知"
    assert "已逾期 3 个工作日" in parsed.get_body(("plain",)).get_content()


def test_resending_a_message_id_overwrites_instead_of_duplicating(tmp_path, context):
    sink = FileSinkTransport(tmp_path)
    send(sink, make(context, title="第一稿"))
    send(sink, make(context, title="第二稿"), make(context, n=2))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2  # n=1 once, n=2 once; no temporary files left behind
    parsed = email.message_from_bytes(sink.path_for("<overdue.7.1@duban.example.org>").read_bytes(),
                                      policy=email.policy.default)
    assert "第二稿" in parsed["Subject"]


def test_ids_that_differ_only_in_unsafe_characters_get_different_files(tmp_path):
    sink = FileSinkTransport(tmp_path)
    a, b = sink.path_for("<a/b@x>"), sink.path_for("<a:b@x>")
    assert a != b
    assert a.parent == tmp_path and "/" not in a.name and ":" not in b.name
    assert sink.path_for("<../../etc/passwd@x>").parent == tmp_path


def test_the_sink_checks_addresses_like_smtp_does(tmp_path):
    message = email.message.EmailMessage()
    message["From"] = "duban@example.org"
    message["To"] = "not an address"
    message["Message-ID"] = "<bad.1@duban.example.org>"
    message.set_content("正文")
    with pytest.raises(TransportError) as err:
        send(FileSinkTransport(tmp_path), message)
    assert err.value.permanent
    assert list(tmp_path.iterdir()) == []


def test_a_message_without_message_id_is_refused(tmp_path, context):
    message = make(context).message
    del message["Message-ID"]
    with pytest.raises(TransportError, match="Message-ID") as err:
        send(FileSinkTransport(tmp_path), message)
    assert err.value.permanent


def test_an_unwritable_outbox_is_a_transient_error(tmp_path, context):
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(TransportError, match="发件箱") as err:
        send(FileSinkTransport(blocker), make(context))
    assert not err.value.permanent


def test_the_file_holds_the_8_bit_form(tmp_path, context):
    message = make(context)
    sink = FileSinkTransport(tmp_path)
    send(sink, message)
    data = sink.path_for("<overdue.7.1@duban.example.org>").read_bytes()
    assert data == message.eight_bit and "已逾期 3 个工作日".encode() in data  # readable as it is
