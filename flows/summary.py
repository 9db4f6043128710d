"""Flow ``year_end_summary``: the year-end summary (年度总结) as a .docx under DUBAN_HOME/reports,
mailed to each supervisor once (see duban/jobs.py:run_year_end_summary).

Scheduled 20 December 09:00 (prefect.yaml). By hand, with parameters:
    prefect deployment run 'year_end_summary/year_end_summary' -p year=2026 -p notify=false
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task

from duban import jobs
from duban.config import load_settings
from flows._now import resolve_now


@task(retries=2, retry_delay_seconds=[60, 600])
def write_summary(now: datetime, year: int | None, period: str | None, as_of: datetime | None,
                  notify: bool, carry: bool) -> str:
    result = jobs.run_year_end_summary(load_settings(), now=now, year=year, period=period,
                                       as_of=as_of, notify=notify, carry=carry)
    return f"已生成 {result.path}；邮件 {result.mails_queued} 封；结转 {result.carried} 项"


@flow(name="year_end_summary", log_prints=True)
def year_end_summary(year: int | None = None, period: str | None = None,
                     as_of: str | None = None, notify: bool = True, carry_over: bool = False,
                     now: str | None = None) -> str:
    settings = load_settings()
    at = resolve_now(now, settings)
    cutoff = resolve_now(as_of, settings) if as_of else None
    message = write_summary(at, year, period, cutoff, notify, carry_over)
    print(message)
    return message


if __name__ == "__main__":
    year_end_summary()
