"""The engine's jobs, from settings: what the CLI, the embedded scheduler and the Prefect flows
all call (sweep, deliver, digest, and the year-end summary). Each takes ``now``; none reads
the clock."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine

from duban import migrations
from duban.config import Settings
from models.domain.periods import check_not_future, parse_period
from models.engine.digest import queue_digest
from models.engine.reminders import SweepReport, sweep
from models.engine.summary_mail import queue_summary_mail
from models.errors import DatabaseNotReady
from models.reports.summary.carry import carry_over
from models.reports.summary.context import report_context
from models.reports.summary.report import ReportSettings, write_report
from models.store import db
from notifications.delivery import DeliveryReport, combined, deliver
from notifications.transport import make_transport


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    missing = db.missing_sqlite_file(url)
    if missing is not None:  # never leave an empty database file behind
        raise DatabaseNotReady(f"在 {missing} 没有找到数据库，请先运行 duban init")
    engine = db.make_engine(url)
    migrations.require_current(engine)
    return engine


def run_sweep(settings: Settings, *, now: datetime) -> SweepReport:
    return sweep(engine_for(settings.resolved_database_url), now=now,
                 config=settings.engine_config)


async def run_deliver_async(settings: Settings, *, now: datetime) -> DeliveryReport:
    transport = make_transport(settings.mail_config)
    try:
        return await deliver(engine_for(settings.resolved_database_url), transport, now=now,
                             config=settings.engine_config,
                             sender=settings.smtp_from, templates_dir=settings.templates_dir)
    finally:
        await transport.close()


def run_deliver(settings: Settings, *, now: datetime, workers: int = 1) -> DeliveryReport:
    """Deliver in this process, or in ``workers`` sender processes at once over the same outbox
    (claims never overlap): rendering is CPU-bound, so one process uses one core at most."""
    if workers <= 1:
        return asyncio.run(run_deliver_async(settings, now=now))
    # spawn, not fork: a forked child would share this process's database connections.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        reports = list(pool.map(_deliver_in_child, [settings] * workers, [now] * workers))
    return combined(reports)


def _deliver_in_child(settings: Settings, now: datetime) -> DeliveryReport:
    return run_deliver(settings, now=now)


def run_digest(settings: Settings, *, now: datetime) -> int:
    return queue_digest(engine_for(settings.resolved_database_url), now=now,
                        config=settings.engine_config)


def report_settings(settings: Settings) -> ReportSettings:
    return ReportSettings(tz=settings.tz, bureau=settings.bureau_name,
                          templates_dir=settings.templates_dir)


@dataclass(frozen=True)
class SummaryJobResult:
    path: Path
    has_data: bool
    mails_queued: int
    carried: int


def run_year_end_summary(settings: Settings, *, now: datetime, year: int | None = None,
                         period: str | None = None, as_of: datetime | None = None,
                         notify: bool = True, carry: bool = False,
                         out: Path | None = None,
                         progress: Callable[[str], None] = lambda _: None) -> SummaryJobResult:
    """The year-end summary as a job (embedded scheduler, Prefect, web button): write the .docx
    under DUBAN_HOME/reports (or ``out``); with ``notify``, queue it by mail to each supervisor
    (once per period and person); with ``carry``, carry the open items into next year."""
    at = as_of or now
    chosen = parse_period(period or str(year or at.astimezone(settings.tz).year))
    check_not_future(chosen, at.astimezone(settings.tz).date())
    path = out or settings.home / "reports" / f"{chosen.title_label}工作总结.docx"
    engine = engine_for(settings.resolved_database_url)
    fig = write_report(engine, path, chosen, as_of=at, settings=report_settings(settings),
                       progress=progress)
    queued = carried = 0
    if notify:
        progress("发送邮件")
        context = report_context(fig, bureau=settings.bureau_name)
        items = context["items"]
        queued = queue_summary_mail(
            engine, period_key=chosen.key, period_label=chosen.title_label, filename=path.name,
            data=path.read_bytes(), now=now, config=settings.engine_config,
            headline={"items_total": items["total"], "items_on_time": items["on_time"],
                      "items_late": items["late"], "items_open": items["open"],
                      "items_rate": items["rate"], "activity_total": context["activity_total"]})
    if carry:
        with db.session_scope(engine) as session:
            carried = carry_over(session, chosen, as_of=at, tz=settings.tz, actor="duban").added
    return SummaryJobResult(path=path, has_data=fig.has_data, mails_queued=queued, carried=carried)
