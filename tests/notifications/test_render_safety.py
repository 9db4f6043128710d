"""render_email refuses bad templates, bad addresses and oversized output; data never becomes markup
or headers."""

from __future__ import annotations

import email
import email.policy
import time

import pytest

from models.errors import ConfigError, RenderError, TransportError
from notifications.render import MAX_PART_BYTES, MAX_TEMPLATE_BYTES, render_email

SENDER = "duban@example.org"


def render(template, context, **kw):
    kw.setdefault("to", ["youfu@example.org"])
    kw.setdefault("message_id", "<x.1@duban.example.org>")
    return render_email(template, context, sender=kw.pop("sender", SENDER), **kw)


def override(folder, name, source):
    (folder / name).write_text(source, encoding="utf-8")
    return folder


# -- template faults ------------------------------------------------------------------------------

def test_an_undefined_variable_names_the_template_and_the_variable(tmp_path, context):
    override(tmp_path, "overdue.txt.j2", "{{ item.title }} {{ deadline_text }}")
    with pytest.raises(RenderError, match=r"overdue\.txt\.j2.*deadline_text"):
        render("overdue", context, templates_dir=tmp_path)


def test_a_missing_context_key_is_refused_not_rendered_empty(context):
    del context["recipient_name"]
    with pytest.raises(RenderError, match="recipient_name"):
        render("due_soon", context)


def test_a_syntax_error_names_the_template_and_line(tmp_path, context):
    override(tmp_path, "overdue.html.j2", "<p>\n{% if item.title %}未闭合\n")
    with pytest.raises(RenderError, match=r"overdue\.html\.j2.*第 \d+ 行"):
        render("overdue", context, templates_dir=tmp_path)


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ item.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
])
def test_the_sandbox_blocks_python_internals(tmp_path, context, source):
    override(tmp_path, "overdue.txt.j2", source)
    with pytest.raises(RenderError, match=r"overdue\.txt\.j2"):
        render("overdue", context, templates_dir=tmp_path)


def test_templates_cannot_mutate_the_engines_context(tmp_path, context):
    override(tmp_path, "overdue.txt.j2", "{{ item.clear() }}")
    with pytest.raises(RenderError, match=r"overdue\.txt\.j2"):
        render("overdue", context, templates_dir=tmp_path)
    assert context["item"]["title"] == "做好优待证办理工作"


@pytest.mark.parametrize("name", ["../etc/passwd", "Overdue", "over due", ""])
def test_template_names_are_plain_words(context, name):
    with pytest.raises(RenderError, match="模板名"):
        render(name, context)


def test_an_unknown_template_is_a_render_error(context):
    with pytest.raises(RenderError, match="no_such_kind"):
        render("no_such_kind", context)


# -- sizes ----------------------------------------------------------------------------------------

def test_a_template_source_over_64_kib_is_refused(tmp_path, context):
    override(tmp_path, "overdue.html.j2", "<p>" + "x" * MAX_TEMPLATE_BYTES + "</p>")
    with pytest.raises(RenderError, match=r"overdue\.html\.j2.*64 KiB"):
        render("overdue", context, templates_dir=tmp_path)


def test_a_rendered_part_over_512_kib_is_refused(tmp_path, context):
    override(tmp_path, "overdue.txt.j2", "{% for i in range(60000) %}{{ item.title }}{% endfor %}")
    with pytest.raises(RenderError, match=r"overdue\.txt\.j2.*512 KiB"):
        render("overdue", context, templates_dir=tmp_path)


def test_a_part_just_under_the_limit_renders(tmp_path, context):
    override(tmp_path, "overdue.txt.j2", f"{{{{ 'x' * {MAX_PART_BYTES - 1} }}}}")
    msg = render("overdue", context, templates_dir=tmp_path).message
    assert len(msg.get_body(("plain",)).get_content()) >= MAX_PART_BYTES - 1


def test_huge_repetition_is_stopped_before_it_is_built(tmp_path, context):
    override(tmp_path, "overdue.txt.j2", "{{ 'x' * 10 ** 9 }}")
    started = time.perf_counter()
    with pytest.raises(RenderError, match=r"overdue\.txt\.j2"):
        render("overdue", context, templates_dir=tmp_path)
    assert time.perf_counter() - started < 1.0  # refused, not allocated a gigabyte first


@pytest.mark.parametrize("name", ["due_soon", "overdue", "escalation", "circulation"])
def test_a_200_character_title_makes_a_short_subject_not_a_failure(context, name):
    context["item"]["title"] = "关于" + "关" * 198
    subject = render(name, context).message["Subject"]
    assert "《关于" + "关" * 37 + "…》" in subject  # the title cut, the subject's ending kept
    assert len(subject) <= 80


def test_a_subject_an_administrator_made_too_long_is_cut_to_200_characters(tmp_path, context):
    context["item"]["title"] = "关" * 300
    override(tmp_path, "overdue.subject.j2", "{{ item.title }}（{{ item.unit }}）")
    subject = render("overdue", context, templates_dir=tmp_path).message["Subject"]
    assert subject == "关" * 199 + "…"


def test_an_empty_subject_is_refused(tmp_path, context):
    override(tmp_path, "overdue.subject.j2", "  \n ")
    with pytest.raises(RenderError, match="主题为空"):
        render("overdue", context, templates_dir=tmp_path)


# -- data stays data ------------------------------------------------------------------------------

def test_script_in_a_title_is_escaped_in_html_and_literal_in_text(context):
    context["item"]["title"] = "<script>alert(1)</script>"
    msg = render("overdue", context).message
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp;lt;" not in html  # escaped once, not twice
    assert "《<script>alert(1)</script>》" in text
    assert msg["Subject"] == "关于《<script>alert(1)</script>》逾期未办结的催办通知"


@pytest.mark.parametrize(("title", "shown"), [
    ("整改\r\nBcc: spy@evil.example", "整改 Bcc: spy@evil.example"),
    ("整改\nBcc: spy@evil.example", "整改 Bcc: spy@evil.example"),
    ("整改\rBcc: spy@evil.example", "整改 Bcc: spy@evil.example"),
    ("整改\u2028Bcc: spy@evil.example", "整改 Bcc: spy@evil.example"),
    ("整改\x00\x1bBcc: spy@evil.example", "整改Bcc: spy@evil.example"),
])
def test_line_breaks_in_a_title_cannot_add_headers(context, title, shown):
    context["item"]["title"] = title
    context["recipient_name"] = "刘洋\r\nBcc: spy2@evil.example"
    rendered = render("overdue", context)
    for raw in (rendered.eight_bit, rendered.seven_bit):
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert "Bcc" not in parsed
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in head and b"\rBcc:" not in head
        assert parsed["Subject"] == f"关于《{shown}》逾期未办结的催办通知"
        assert [a.addr_spec for a in parsed["To"].addresses] == ["youfu@example.org"]
        assert all("Bcc" not in part for part in parsed.walk())


def test_subject_whitespace_is_collapsed(context):
    context["item"]["title"] = "  做好\t\t优待证\n\n办理工作  "
    subject = render("overdue", context).message["Subject"]
    assert subject == "关于《 做好 优待证 办理工作 》逾期未办结的催办通知"


@pytest.mark.parametrize("address", [
    "youfu@example.org\r\nBcc: spy@evil.example",
    "刘洋\r\n <youfu@example.org>",
    "youfu@example.org\n",
    "youfu@example.org, spy@evil.example",
    "youfu",
    "youfu@",
    "@example.org",
    "刘洋 <>",
    "not an address",
    "",
])
def test_a_malformed_recipient_is_a_permanent_transport_error(context, address):
    with pytest.raises(TransportError) as err:
        render("overdue", context, to=[address])
    assert err.value.permanent
    assert "\r" not in str(err.value) and "\n" not in str(err.value)


def test_a_malformed_cc_is_refused_too(context):
    with pytest.raises(TransportError, match="抄送地址") as err:
        render("escalation", context, cc=["wu.lixin@example.org\r\nBcc: spy@evil.example"])
    assert err.value.permanent


def test_no_recipient_at_all_is_a_permanent_transport_error(context):
    with pytest.raises(TransportError) as err:
        render("overdue", context, to=[])
    assert err.value.permanent


def test_a_malformed_sender_is_a_configuration_error(context):
    with pytest.raises(ConfigError, match="DUBAN_SMTP_FROM"):
        render("overdue", context, sender="duban@example.org\r\nBcc: spy@evil.example")


@pytest.mark.parametrize("message_id", ["no-brackets@x", "<a b@x>", "<a@x>\r\nBcc: y@z", "<nodomain>"])
def test_a_malformed_message_id_is_a_caller_bug(context, message_id):
    with pytest.raises(ValueError, match="Message-ID"):
        render("overdue", context, message_id=message_id)
