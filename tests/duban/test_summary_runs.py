"""The summary run in the background (for the web button): progress, the file, refusals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from duban import migrations
from duban.cli.demo import load_demo
from duban.config import load_settings
from duban.jobs import report_settings
from duban.summary_runs import STEPS, SummaryRuns
from models.domain.periods import parse_period
from models.errors import InputError
from models.reports.summary.report import write_report
from models.store import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)


def test_a_run_reports_progress_and_gives_the_same_file_as_the_cli(tmp_path):
    settings = load_settings(home=tmp_path / "home", database_url=None)
    engine = db.make_engine(settings.resolved_database_url)
    migrations.upgrade(engine)
    with db.session_scope(engine) as session:
        load_demo(session, now=NOW, tz=SHANGHAI)
    runs = SummaryRuns(settings, clock=lambda: NOW)
    seen: list[str] = []
    original = runs._set

    def spy(run_id, **changes):
        seen.append(changes.get("step", changes.get("state")))
        original(run_id, **changes)

    runs._set = spy  # type: ignore[method-assign]
    run_id = runs.start(year=2026, by="钱立群")
    status = runs.wait(run_id, timeout=120)
    assert status.state == "done" and status.percent == 100 and status.requested_by == "钱立群"
    assert [s for s in seen if s in STEPS] == ["统计数据", "绘制图表", "填写模板", "写入文件", "完成"]
    cli_file = tmp_path / "cli.docx"
    write_report(engine, cli_file, parse_period("2026"), as_of=NOW, settings=report_settings(settings))
    assert status.path.read_bytes() == cli_file.read_bytes()
    assert runs.status("nope") is None


def test_a_future_year_is_refused_before_anything_runs(tmp_path):
    runs = SummaryRuns(load_settings(home=tmp_path / "home", database_url=None), clock=lambda: NOW)
    with pytest.raises(InputError, match="尚未开始"):
        runs.start(year=2027, by="x")
    assert runs._runs == {}


def test_a_failure_is_kept_as_a_chinese_message(tmp_path):
    settings = load_settings(home=tmp_path / "home", database_url=None)
    runs = SummaryRuns(settings, clock=lambda: NOW)  # no database: not initialised
    status = runs.wait(runs.start(year=2026, by="x"), timeout=60)
    assert status.state == "failed" and "duban init" in status.error
