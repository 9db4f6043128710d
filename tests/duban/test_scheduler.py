"""One embedded scheduler per database: the lease in the database (fixed instants), the tick,
and real `duban serve` processes refusing, stopping, and dying."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from duban import migrations
from duban.cli.demo import PEOPLE
from duban.config import load_settings
from duban.scheduler import LOCK_NAME, TICK_CRON, build_scheduler, tick
from models.errors import Refused
from models.records.units import add_person
from models.store import db, service_lock
from models.store.db import session_scope
from models.store.tables import ServiceLock
from tests.support.factories import T0, make_item, make_unit

ROOT = Path(__file__).resolve().parents[1]
DUBAN = str(Path(sys.executable).parent / "duban")
SHANGHAI = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LEASE = service_lock.LEASE
A, B = "host-a:1111", "host-b:2222"  # other hosts: their processes cannot be checked


def holder_of(engine) -> ServiceLock | None:
    with session_scope(engine) as session:
        return session.exec(select(ServiceLock)).first()


# --- the lease, with fixed instants (both dialects) ----------------------------------------

def test_a_second_holder_is_refused_with_a_message_naming_the_first(engine):
    service_lock.acquire(engine, LOCK_NAME, holder=A, now=T)
    with pytest.raises(Refused) as refused:
        service_lock.acquire(engine, LOCK_NAME, holder=B, now=T + timedelta(seconds=10))
    message = str(refused.value)
    assert "另一个 duban serve（host-a:1111）正在使用该数据库" in message
    assert f"租约至 {(T + LEASE).isoformat(timespec='seconds')}" in message
    assert "请先停止它" in message
    lock = holder_of(engine)
    assert (lock.holder, lock.acquired_at, lock.expires_at) == (A, T, T + LEASE)


def test_the_holder_may_acquire_again_and_renew(engine):
    service_lock.acquire(engine, LOCK_NAME, holder=A, now=T)
    service_lock.acquire(engine, LOCK_NAME, holder=A, now=T + timedelta(seconds=5))
    assert holder_of(engine).expires_at == T + timedelta(seconds=5) + LEASE
    assert service_lock.renew(engine, LOCK_NAME, holder=A, now=T + timedelta(seconds=30))
    assert holder_of(engine).expires_at == T + timedelta(seconds=30) + LEASE
    assert not service_lock.renew(engine, LOCK_NAME, holder=B, now=T + timedelta(seconds=31))
    assert holder_of(engine).holder == A


def test_an_expired_lease_may_be_taken_over(engine):
    service_lock.acquire(engine, LOCK_NAME, holder=A, now=T)
    service_lock.renew(engine, LOCK_NAME, holder=A, now=T + timedelta(seconds=30))
    expiry = T + timedelta(seconds=30) + LEASE
    for refused_at in (T + LEASE + timedelta(seconds=1), expiry):
        with pytest.raises(Refused):
            service_lock.acquire(engine, LOCK_NAME, holder=B, now=refused_at)
    service_lock.acquire(engine, LOCK_NAME, holder=B, now=expiry + timedelta(seconds=1))
    assert holder_of(engine).holder == B
    # The old holder learns it lost the lease at its next heartbeat, and cannot release B's.
    assert not service_lock.renew(engine, LOCK_NAME, holder=A, now=expiry + timedelta(seconds=2))
    service_lock.release(engine, LOCK_NAME, holder=A)
    assert holder_of(engine).holder == B


def test_release_frees_the_lock_at_once(engine):
    service_lock.acquire(engine, LOCK_NAME, holder=A, now=T)
    service_lock.release(engine, LOCK_NAME, holder=A)
    assert holder_of(engine) is None
    service_lock.acquire(engine, LOCK_NAME, holder=B, now=T + timedelta(seconds=1))
    assert holder_of(engine).holder == B


def test_a_dead_process_on_this_host_is_taken_over_at_once(engine):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = f"{socket.gethostname()}:{gone.pid}"
    service_lock.acquire(engine, LOCK_NAME, holder=dead, now=T)
    service_lock.acquire(engine, LOCK_NAME, holder=B, now=T + timedelta(seconds=1))
    assert holder_of(engine).holder == B


def test_a_live_process_on_this_host_keeps_its_lease(engine):
    alive = f"{socket.gethostname()}:{os.getpid()}"
    service_lock.acquire(engine, LOCK_NAME, holder=alive, now=T)
    with pytest.raises(Refused, match=alive):
        service_lock.acquire(engine, LOCK_NAME, holder=B, now=T + timedelta(seconds=1))


# --- the tick and the schedule --------------------------------------------------------------

def test_one_tick_sweeps_queues_the_digest_and_delivers(tmp_path, smtp_server):
    settings = load_settings(home=tmp_path / "home", database_url=None,
                             smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    engine = db.make_engine(settings.resolved_database_url)
    migrations.upgrade(engine)
    with session_scope(engine) as session:
        make_unit(session)
        for name, role, email in PEOPLE:
            add_person(session, name=name, role=role, email=email, phone=None, actor="test",
                       now=T0)
        make_item(session, deadline="2026-11-20")
    lines: list[str] = []
    now = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    # 催办, 督办 and 通报 (to the head and two supervisors); this week's digest to each supervisor.
    tick(settings, lines.append, clock=lambda: now)
    assert lines == ["[2026-12-01 10:00] 检查 1 项，新增提醒 5 条，周报 2 份；发送 7，重试 0，失败 0"]
    assert len(smtp_server.messages) == 7
    tick(settings, lines.append, clock=lambda: now + timedelta(minutes=10))
    assert lines[-1] == "[2026-12-01 10:10] 检查 0 项，新增提醒 0 条，周报 0 份；发送 0，重试 0，失败 0"
    night = datetime(2026, 12, 3, 20, 0, tzinfo=SHANGHAI)
    tick(settings, lines.append, clock=lambda: night)
    assert lines[-1].startswith("[2026-12-03 20:00] 检查 1 项，新增提醒 1 条，周报 0 份；发送 0，")
    assert "（非办公时间" in lines[-1]
    assert len(smtp_server.messages) == 7
    engine.dispose()


def test_the_scheduler_ticks_every_ten_minutes_in_office_hours(tmp_path):
    settings = load_settings(home=tmp_path / "home", database_url=None)
    migrations.upgrade(db.make_engine(settings.resolved_database_url))
    scheduler = build_scheduler(settings, print, holder=A)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"tick", "heartbeat", "year_end_summary"}
    assert TICK_CRON == "*/10 9-17 * * *"
    summary = jobs["year_end_summary"].trigger
    assert summary.get_next_fire_time(None, datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)) == \
        datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)
    trigger = jobs["tick"].trigger
    after = datetime(2026, 12, 1, 17, 55, tzinfo=SHANGHAI)
    assert trigger.get_next_fire_time(None, after) == datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
    assert trigger.get_next_fire_time(None, datetime(2026, 12, 2, 9, 1, tzinfo=SHANGHAI)) == \
        datetime(2026, 12, 2, 9, 10, tzinfo=SHANGHAI)
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["misfire_grace_time"] == 3600


def test_the_heartbeat_renews_the_lease_and_stops_the_scheduler_once_it_is_lost(tmp_path):
    settings = load_settings(home=tmp_path / "home", database_url=None)
    engine = db.make_engine(settings.resolved_database_url)
    migrations.upgrade(engine)
    lines: list[str] = []
    service_lock.acquire(engine, LOCK_NAME, holder=A, now=T)
    scheduler = build_scheduler(settings, lines.append, holder=A, clock=lambda: T + timedelta(seconds=20))
    scheduler.start(paused=True)  # jobs wait; the heartbeat is called by hand below
    try:
        heartbeat = scheduler.get_job("heartbeat").func
        heartbeat()
        assert scheduler.running and lines == []
        assert holder_of(engine).expires_at == T + timedelta(seconds=20) + LEASE

        with session_scope(engine) as session:  # another process took the lock over
            session.get(ServiceLock, LOCK_NAME).holder = B
        heartbeat()
        assert not scheduler.running
        assert lines == ["调度锁已被其他进程接管，本进程停止。"]
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        engine.dispose()


# --- real `duban serve` processes -------------------------------------------------------------

class Serve:
    """A `duban serve` subprocess whose output is collected by reader threads."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen([DUBAN, "serve"], env=env, cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(s, d), daemon=True)
                         for s, d in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for r in self._readers:
            r.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stdout:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"`duban serve` did not print {text!r}; exit {self.proc.poll()}\n"
                    f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}")

    def wait(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        for r in self._readers:
            r.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture
def serve_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(DUBAN_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1", COLUMNS="200")
    subprocess.run([DUBAN, "init"], env=env, cwd=ROOT, check=True, capture_output=True,
                   timeout=120)
    return env


@pytest.fixture
def spawn(serve_env):
    started: list[Serve] = []

    def start() -> Serve:
        s = Serve(serve_env)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


@pytest.fixture
def lock_engine(serve_env):
    engine = db.make_engine(f"sqlite:///{Path(serve_env['DUBAN_HOME']) / 'duban.db'}")
    yield engine
    engine.dispose()


STARTED = "duban 已启动"
STOPPED = "duban 已停止。"


def test_a_second_serve_refuses_and_sigterm_releases_the_lock(spawn, serve_env, lock_engine):
    first = spawn()
    first.wait_for(STARTED)
    assert holder_of(lock_engine).holder == f"{socket.gethostname()}:{first.proc.pid}"

    second = subprocess.run([DUBAN, "serve"], env=serve_env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 1
    assert (f"另一个 duban serve（{socket.gethostname()}:{first.proc.pid}）正在使用该数据库"
            in second.stderr)
    assert "Traceback" not in second.stderr

    first.proc.send_signal(signal.SIGTERM)
    assert first.wait() == 0
    assert STOPPED in first.stdout
    assert "Traceback" not in first.stderr
    assert holder_of(lock_engine) is None

    third = spawn()
    third.wait_for(STARTED)
    assert holder_of(lock_engine).holder == f"{socket.gethostname()}:{third.proc.pid}"


def test_after_sigkill_the_next_serve_starts_at_once(spawn, lock_engine):
    first = spawn()
    first.wait_for(STARTED)
    first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    stale = holder_of(lock_engine)
    assert stale.holder == f"{socket.gethostname()}:{first.proc.pid}"
    assert stale.expires_at > datetime.now(UTC)  # the lease has not run out: the pid is gone

    second = spawn()
    second.wait_for(STARTED)
    assert holder_of(lock_engine).holder == f"{socket.gethostname()}:{second.proc.pid}"


def test_repeated_sigterm_still_stops_cleanly_and_releases(spawn, lock_engine):
    served = spawn()
    served.wait_for(STARTED)
    deadline = time.monotonic() + 60
    while served.proc.poll() is None and time.monotonic() < deadline:
        served.proc.send_signal(signal.SIGTERM)  # a supervisor that insists
        time.sleep(0.005)
    assert served.wait() == 0, served.stderr
    assert "Traceback" not in served.stderr
    assert STOPPED in served.stdout
    assert holder_of(lock_engine) is None
