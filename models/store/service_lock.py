"""A lease in the database so that only one embedded scheduler runs per database.

The holder renews the lease with a heartbeat. Another process may take it only once it
has expired, or at once when the holder was on this host and its process is gone.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError

from models.errors import Refused
from models.store.db import session_scope
from models.store.tables import ServiceLock

LEASE = timedelta(seconds=60)
LOCK = ServiceLock.__table__  # type: ignore[attr-defined]


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_dead(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(engine: Engine, name: str, *, holder: str, now: datetime,
            lease: timedelta = LEASE) -> None:
    """Take the lease or raise Refused saying who holds it and until when."""
    with session_scope(engine) as session:
        current = session.get(ServiceLock, name)
        if current is None:
            session.add(ServiceLock(name=name, holder=holder, acquired_at=now,
                                    expires_at=now + lease))
            try:
                session.flush()
                return
            except IntegrityError:
                session.rollback()
                current = session.get(ServiceLock, name)
        assert current is not None
        free = current.holder == holder or current.expires_at < now or \
            _holder_is_dead(current.holder)
        if free:
            taken = session.execute(
                update(LOCK)
                .where(LOCK.c.name == name, LOCK.c.holder == current.holder,
                       LOCK.c.expires_at == current.expires_at)
                .values(holder=holder, acquired_at=now, expires_at=now + lease)
            ).rowcount
            if taken == 1:
                return
        raise Refused(
            f"另一个 duban serve（{current.holder}）正在使用该数据库，"
            f"租约至 {current.expires_at.isoformat(timespec='seconds')}；"
            "请先停止它，或等其租约过期后再启动"
        )


def renew(engine: Engine, name: str, *, holder: str, now: datetime,
          lease: timedelta = LEASE) -> bool:
    """Extend our lease; False when it was lost (someone took it over)."""
    with session_scope(engine) as session:
        return session.execute(
            update(LOCK).where(LOCK.c.name == name, LOCK.c.holder == holder)
            .values(expires_at=now + lease)
        ).rowcount == 1


def release(engine: Engine, name: str, *, holder: str) -> None:
    with session_scope(engine) as session:
        session.execute(delete(LOCK).where(LOCK.c.name == name, LOCK.c.holder == holder))


