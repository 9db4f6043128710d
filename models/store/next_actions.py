"""When the reminder sweep must next look at each item: the ``next_action`` table.

The only module that reads or writes that table (the sweep joins ``NEXT_ACTION`` in its
query). An item has a row while the sweep owes it another look; ``at=None`` removes the row
(the item is closed and owes nothing more). Creating an item gives it a row at ``now``
(``new=True``: a plain insert), re-dating it moves the row to ``now``.

Writers that re-date or close an item set its schedule *before* withdrawing its pending
reminders (``outbox.drop_pending``): on PostgreSQL the sweep locks the schedule row
(``FOR UPDATE OF next_action SKIP LOCKED``), so setting it first waits for a sweep that is
queueing under the old deadline to commit, and the withdrawal then sees what it queued.

Writes of many rows go as driver SQL for the reason given at ``models.engine.outbox.insert_new``:
the sweep moves the schedule of every item it visits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session, select

from models.store.tables import NextAction

NEXT_ACTION = NextAction.__table__  # type: ignore[attr-defined]

_PG_UPDATE = """
UPDATE next_action SET at = v.at
FROM unnest(%(ids)b::int[], %(ts)b::timestamptz[]) AS v(item_id, at)
WHERE next_action.item_id = v.item_id
RETURNING next_action.item_id
"""
# A row another transaction inserted since the UPDATE's snapshot is moved, not duplicated.
_PG_UPSERT = """
INSERT INTO next_action (item_id, at)
SELECT * FROM unnest(%(ids)b::int[], %(ts)b::timestamptz[])
ON CONFLICT (item_id) DO UPDATE SET at = excluded.at
"""
_PG_INSERT = """
INSERT INTO next_action (item_id, at) SELECT * FROM unnest(%(ids)b::int[], %(ts)b::timestamptz[])
"""
_PG_DELETE = "DELETE FROM next_action WHERE item_id = ANY(%(ids)b::int[])"

_SQLITE_UPSERT = ("INSERT INTO next_action (item_id, at) VALUES (?, ?) "
                  "ON CONFLICT (item_id) DO UPDATE SET at = excluded.at")
_SQLITE_INSERT = "INSERT INTO next_action (item_id, at) VALUES (?, ?)"
_SQLITE_DELETE = "DELETE FROM next_action WHERE item_id = ?"


def set_next_action(session: Session, item_id: int, at: datetime | None, *,
                    new: bool = False) -> None:
    """Set when the sweep next looks at one item (None: never again)."""
    set_next_actions(session, [(item_id, at)], new=new)


def set_next_actions(session: Session, pairs: Iterable[tuple[int, datetime | None]], *,
                     new: bool = False) -> None:
    """Set when the sweep next looks at each item: (item id, instant or None to remove it).

    ``new``: the items were created in this transaction and have no row yet, so the rows are
    plainly inserted (and a None needs nothing). An item given twice takes its last instant.
    """
    wanted = dict(pairs)
    if not wanted:
        return
    conn = session.connection()
    instant = NEXT_ACTION.c.at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    moves = [(item_id, instant(at)) for item_id, at in wanted.items() if at is not None]
    gone = [] if new else [item_id for item_id, at in wanted.items() if at is None]
    if conn.dialect.name == "postgresql":
        _write_pg(conn, moves, gone, new=new)
    else:
        # SQLite keeps instants as text in the one format the bind processor writes.
        if gone:
            conn.exec_driver_sql(_SQLITE_DELETE, [(item_id,) for item_id in gone])
        if moves:
            conn.exec_driver_sql(_SQLITE_INSERT if new else _SQLITE_UPSERT, moves)


def _write_pg(conn: Connection, moves: list[tuple[int, Any]], gone: list[int], *,
              new: bool) -> None:
    if gone:
        conn.exec_driver_sql(_PG_DELETE, {"ids": gone})
    if not moves:
        return
    ids, times = (list(column) for column in zip(*moves, strict=True))
    if new:
        conn.exec_driver_sql(_PG_INSERT, {"ids": ids, "ts": times})
        return
    # UPDATE first: every item the sweep visits has its row, and an upsert would pay a
    # speculative insertion per row. Only the rows found missing are upserted.
    moved = set(conn.exec_driver_sql(_PG_UPDATE, {"ids": ids, "ts": times}).scalars())
    if len(moved) < len(ids):
        missing = [(i, t) for i, t in moves if i not in moved]
        conn.exec_driver_sql(_PG_UPSERT, {"ids": [i for i, _ in missing],
                                          "ts": [t for _, t in missing]})


def next_action_of(session: Session, item_id: int) -> datetime | None:
    """When the sweep next looks at this item; None when it never will."""
    return session.exec(
        select(NEXT_ACTION.c.at).where(NEXT_ACTION.c.item_id == item_id)  # type: ignore[call-overload]
    ).first()


_CHUNK = 10_000  # ids per query: well below SQLite's limit on bound parameters


def next_actions(session: Session, ids: Iterable[int]) -> dict[int, datetime]:
    """When the sweep next looks at each of these items; items it never will are left out."""
    ids = list(ids)
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(
            select(NEXT_ACTION.c.item_id, NEXT_ACTION.c.at)  # type: ignore[call-overload]
            .where(NEXT_ACTION.c.item_id.in_(ids[start:start + _CHUNK]))
        )
        found.update((item_id, at) for item_id, at in rows)
    return found
