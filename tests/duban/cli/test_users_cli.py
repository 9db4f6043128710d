"""duban user add / list / disable / enable / passwd, and the demo's logins."""

from __future__ import annotations

import json

from duban.cli import app


def _invoke(cli, *args, stdin: str = "", code: int = 0):
    result = cli.runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == code, f"{args}: {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def test_add_list_disable_enable_and_change_a_password(cli):
    cli("unit", "add", "--name", "示例一街道办事处", "--kind", "街道办事处", "--contact", "孙浩",
        "--email", "jiedao01@example.org")
    _invoke(cli, "user", "add", "--name", "孙浩", "--role", "unit", "--unit", "示例一街道办事处",
            stdin="station-pass-1\n")
    _invoke(cli, "user", "add", "--name", "钱立群", "--role", "督办人员", stdin="supervise-pass\n")
    rows = json.loads(_invoke(cli, "user", "list", "--json").stdout)
    assert [(r["name"], r["role"], r["unit"], r["disabled"]) for r in rows] == [
        ("孙浩", "承办单位", "示例一街道办事处", False), ("钱立群", "督办人员", None, False)]
    _invoke(cli, "user", "disable", "孙浩")
    assert json.loads(_invoke(cli, "user", "list", "--json").stdout)[0]["disabled"] is True
    _invoke(cli, "user", "enable", "孙浩")
    assert "已修改" in _invoke(cli, "user", "passwd", "孙浩", stdin="another-pass-2\n").stdout


def test_bad_accounts_are_refused_with_the_field_named_and_nothing_added(cli):
    refused = _invoke(cli, "user", "add", "--name", "街道", "--role", "unit", stdin="long-enough-1\n",
                      code=1)
    assert "单位" in refused.stderr and "必须指定所属单位" in refused.stderr
    short = _invoke(cli, "user", "add", "--name", "王磊", "--role", "leader", stdin="short\n", code=1)
    assert "密码" in short.stderr and "至少 8 个字符" in short.stderr
    role = _invoke(cli, "user", "add", "--name", "王磊", "--role", "boss", stdin="long-enough-1\n", code=1)
    assert "角色 “boss”" in role.stderr
    _invoke(cli, "user", "add", "--name", "王磊", "--role", "leader", stdin="long-enough-1\n")
    again = _invoke(cli, "user", "add", "--name", "王磊", "--role", "leader", stdin="long-enough-1\n",
                    code=1)
    assert "已存在" in again.stderr
    assert [r["name"] for r in json.loads(_invoke(cli, "user", "list", "--json").stdout)] == ["王磊"]
    assert "不存在" in _invoke(cli, "user", "disable", "nobody", code=1).stderr


def test_the_demo_prints_each_login_once(cli):
    first = _invoke(cli, "--now", "2026-12-01T10:00", "demo").stdout
    assert "密码只显示这一次" in first
    for name in ("钱立群", "赵明远", "管理员", "示例一街道办事处", "优抚褒扬科"):
        assert name in first
    rows = json.loads(_invoke(cli, "user", "list", "--json").stdout)
    assert len(rows) == 3 + 19 and sum(r["role"] == "承办单位" for r in rows) == 19
    assert "密码" not in _invoke(cli, "--now", "2026-12-01T10:00", "demo").stdout
