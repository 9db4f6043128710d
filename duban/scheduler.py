"""The embedded service: one APScheduler in this process runs the engine's jobs on the same
cron as prefect.yaml, guarded by a lease in the database (one scheduler per database).

On start it runs one catch-up tick at once, so downtime (a weekend, a week off) gives a single
catch-up run; the jobs themselves decide what is owed, and skip superseded reminders.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from duban import jobs
from duban.config import Settings
from duban.failures import explain
from models.store import service_lock

LOCK_NAME = "scheduler"
HEARTBEAT_SECONDS = 20

# The sweep/deliver schedule of prefect.yaml. Every day, not Monday–Friday: 调休 weekend days
# are working days, and the jobs themselves check working days and office hours. The digest
# rides on the same tick: it is queued once per week, at the first tick it is due.
TICK_CRON = "*/10 9-17 * * *"
# The year-end summary: 20 December, 09:00 (prefect.yaml's year_end_summary). The mail it queues
# goes out with the next tick's delivery.
SUMMARY_CRON = "0 9 20 12 *"


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def tick(settings: Settings, out: Callable[[str], None], clock=_wall_clock) -> None:
    """One pass. A failure of the world around it (the database down, a full disk) is said in
    Chinese and the next tick tries again; a bug keeps its traceback (APScheduler logs it)."""
    try:
        _tick(settings, out, clock)
    except Exception as exc:
        message = explain(exc)
        if message is None:
            raise
        out(f"[{clock().astimezone(settings.tz):%Y-%m-%d %H:%M}] 本轮未完成：{message}")


def _tick(settings: Settings, out: Callable[[str], None], clock) -> None:
    now = clock()
    swept = jobs.run_sweep(settings, now=now)
    digests = jobs.run_digest(settings, now=now)
    delivered = jobs.run_deliver(settings, now=now)
    local = now.astimezone(settings.tz)
    out(f"[{local:%Y-%m-%d %H:%M}] 检查 {swept.items} 项，新增提醒 {swept.total} 条，"
        f"周报 {digests} 份；发送 {delivered.sent}，重试 {delivered.retried}，失败 {delivered.failed}"
        + ("" if delivered.office_open else "（非办公时间，仅发送会议通知）"))


def summary_tick(settings: Settings, out: Callable[[str], None], clock=_wall_clock) -> None:
    now = clock()
    result = jobs.run_year_end_summary(settings, now=now, notify=True)
    out(f"[{now.astimezone(settings.tz):%Y-%m-%d %H:%M}] 已生成年度总结 {result.path}，"
        f"待发送给督办人员 {result.mails_queued} 封")


def build_scheduler(settings: Settings, out: Callable[[str], None], holder: str,
                    clock=_wall_clock) -> BackgroundScheduler:
    engine = jobs.engine_for(settings.resolved_database_url)
    scheduler = BackgroundScheduler(
        timezone=settings.tz,
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )

    def heartbeat() -> None:
        if not service_lock.renew(engine, LOCK_NAME, holder=holder, now=clock()):
            out("调度锁已被其他进程接管，本进程停止。")
            scheduler.shutdown(wait=False)

    scheduler.add_job(tick, CronTrigger.from_crontab(TICK_CRON, timezone=settings.tz),
                      args=[settings, out, clock], id="tick",
                      next_run_time=datetime.now(settings.tz))
    # misfire_grace_time=None: a service that was down at 09:00 on 20 December still runs the
    # summary when it comes back (the mail is keyed by year and person: never twice).
    scheduler.add_job(summary_tick, CronTrigger.from_crontab(SUMMARY_CRON, timezone=settings.tz),
                      args=[settings, out, clock], id="year_end_summary", misfire_grace_time=None)
    scheduler.add_job(heartbeat, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat")
    return scheduler


def serve(settings: Settings, *, out: Callable[[str], None] = print) -> None:
    """Run until interrupted. Raises Refused when another scheduler holds the lease."""
    engine = jobs.engine_for(settings.resolved_database_url)
    holder = service_lock.holder_id()
    service_lock.acquire(engine, LOCK_NAME, holder=holder, now=_wall_clock())
    scheduler = build_scheduler(settings, out, holder)

    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        # Only note it: a handler runs between any two bytecodes of this thread, so it must
        # neither take a lock (scheduler.shutdown() here deadlocks when the signal lands while
        # this thread holds one) nor raise into library code (APScheduler swallows it).
        stopping.append(signum)

    try:
        signal.signal(signal.SIGTERM, stop)
        out(f"duban 已启动（{holder}）：每 10 分钟检查与发送提醒，办公时间 {settings.office_hours}，"
            "按 Ctrl+C 停止。")
        scheduler.start()
        while not stopping and scheduler.running:  # the heartbeat stops it if the lock is lost
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already; a repeat changes nothing
        try:
            if scheduler.running:
                with contextlib.suppress(SchedulerNotRunningError):
                    scheduler.shutdown(wait=True)  # let a tick in progress finish
        finally:
            service_lock.release(engine, LOCK_NAME, holder=holder)
            out("duban 已停止。")
