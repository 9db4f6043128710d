"""Failures of the world around duban reach a user as a Chinese message and exit 1, never as a
traceback, and leave nothing half-written (issue 16): PostgreSQL down, an unknown database or
role, DUBAN_HOME a file, a full disk, arguments that are not UTF-8. Each runs the real `duban`
executable in a process of its own, as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sqlalchemy.engine import make_url

from tests.support.cli_process import DUBAN, refused, run
from tests.support.smtp import free_port


def _pg_server() -> str:
    url = os.environ.get("DUBAN_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests skipped: DUBAN_TEST_DATABASE_URL is not set")
    return url


def test_postgresql_down(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/duban"

    for command in (["overview"], ["import", str(tmp_path / "x.csv")]):
        refused(run(*command, home=tmp_path, DUBAN_DATABASE_URL=url),
                "无法连接数据库服务器", "请确认 PostgreSQL 已启动")


@pytest.mark.postgres
def test_unknown_database_and_unknown_role():
    server = make_url(_pg_server())
    no_database = server.set(database="duban_no_such_database").render_as_string(hide_password=False)
    no_role = server.set(username="duban_no_such_role").render_as_string(hide_password=False)

    refused(run("overview", DUBAN_DATABASE_URL=no_database),
            "数据库 “duban_no_such_database” 不存在")
    refused(run("init", DUBAN_DATABASE_URL=no_role), "数据库用户（角色） “duban_no_such_role” 不存在")


def test_duban_home_is_a_file(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")

    refused(run("init", home=home), "DUBAN_HOME", "应为：一个目录路径")
    assert home.read_text() == "not a folder"


def test_a_full_disk_stops_the_command_and_writes_nothing(tmp_path):
    home = tmp_path / "home"
    assert run("init", home=home).returncode == 0
    size = (home / "duban.db").stat().st_size

    refused(run("demo", home=home, fsize=size + 16_384), "磁盘", "未写入任何数据")

    # Nothing of the demo went in: the database reads as before, and loading works with room.
    assert run("unit", "list", "--json", home=home).stdout.strip() == b"[]"
    assert run("demo", home=home).returncode == 0


def test_a_really_full_file_system(tmp_path):
    """ENOSPC itself: a tmpfs mounted in a user namespace of its own, filled up to 64 KiB."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode:
        pytest.skip("no user namespaces here: test_a_full_disk_… covers the same path with RLIMIT_FSIZE")
    home = tmp_path / "home"
    home.mkdir()
    script = (f"mount -t tmpfs -o size=8m tmpfs {home} && export DUBAN_HOME={home} && "
              f"{DUBAN} init >/dev/null && {{ cat /dev/zero > {home}/filler 2>/dev/null; "
              f"truncate -s -64K {home}/filler; {DUBAN} demo; echo \"demo=$?\"; "
              f"rm {home}/filler; {DUBAN} unit list --json; }}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    result = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                            env=env, capture_output=True, timeout=120)
    stdout, stderr = result.stdout.decode(), result.stderr.decode()

    assert "demo=1" in stdout, stdout + stderr
    assert "Traceback" not in stderr, stderr
    assert "磁盘空间已满" in stderr or "磁盘可能已满" in stderr, stderr
    assert stdout.rstrip().endswith("[]"), stdout  # nothing of the demo was written


def test_arguments_that_are_not_utf8(tmp_path):
    home = tmp_path / "home"
    assert run("init", home=home).returncode == 0

    stderr = refused(run(b"item", b"list", b"--unit", b"\xff\xfe\xb2\xe2", home=home),
                     "第 4 个参数", "不是有效的 UTF-8 文本")
    assert "\\xff\\xfe\\xb2\\xe2" in stderr
    refused(run("overview", home=home, DUBAN_ACTOR="\udcff"), "DUBAN_ACTOR")  # the byte 0xff
