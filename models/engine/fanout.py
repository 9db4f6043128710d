"""The sweep's fan-out in SQL: the outbox rows of plain items, built by the database.

Python plans each distinct (ladder, deadline, due instant) once and sends the plans (a few
dozen rows), the batch (item id and plan per item) and the bureau's people; one
``INSERT … SELECT`` joins them with the items' units and writes every row. Nothing per row
crosses the wire, and no key or Message-ID is built in Python. The rows' context is ``{}``:
what a mail says about its item is read at delivery (``models.engine.mail_context``).

The SQL mirrors rules whose definition stays in Python, because a second copy in Python
would cost per row what this module exists to save:
- recipients: ``reminders.Audiences.of`` (contact; leader, or every head when the unit has
  none; bureau), in the same order;
- the dedupe key: ``item:{id}:{due_at.isoformat()}:{stage}:{email.lower()}`` (``due_at`` text
  and stage come from Python, per plan);
- cc: ``reminders._row`` (the cc audience without the recipient, compared lower-cased);
- the Message-ID: ``outbox.message_id_for`` (SQLite calls that very function).
Only items whose every row these rules cover come here (``reminders.sweep`` decides); ASCII
emails only, so that SQL ``lower`` agrees with Python's.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from models.engine.outbox import OUTBOX, NewRow, message_id_for

# Where a recipient's name and email come from: the unit's row or the people list.
_WHO = """
CASE WHEN {aud} = 'leader' AND coalesce({it}.leader_email, '') = '' THEN 'heads' ELSE {aud} END
"""
_EMAIL = ("CASE {g}.grp WHEN 'contact' THEN {it}.contact_email "
          "WHEN 'leader' THEN {it}.leader_email ELSE {g}.email END")
_NAME = ("CASE {g}.grp WHEN 'contact' THEN {it}.contact_name "
         "WHEN 'leader' THEN coalesce(nullif({it}.leader_name, ''), '分管领导') ELSE {g}.name END")
_COLUMNS = ("dedupe_key, item_id, reminder, stage, recipient, recipient_name, cc, context, "
            "send_after, any_hour, message_id, status, attempts, created_at")


_ROWS = """
rows AS (
    SELECT it.pos, p.dix, g.rix, it.id AS item_id, p.reminder, p.stage, p.send_after,
           p.any_hour, p.due_iso, p.cc_aud, it.contact_email, it.leader_email,
           {email} AS email, {name} AS name
    FROM items it JOIN plans p ON p.plan = it.plan
    JOIN people g ON g.grp = {who}),
keyed AS (
    SELECT r.*, 'item:' || r.item_id || ':' || r.due_iso || ':' || r.stage || ':' || lower(r.email) AS k
    FROM rows r)
""".format(email=_EMAIL.format(g="g", it="it"), name=_NAME.format(g="g", it="it"),
           who=_WHO.format(aud="p.aud", it="it"))

_CC_WHO = _WHO.format(aud="keyed.cc_aud", it="keyed")
_CC_EMAIL = _EMAIL.format(g="g2", it="keyed")

_PG = """
WITH batch AS MATERIALIZED (
    SELECT (v->>0)::int AS pos, (v->>1)::int AS item_id, (v->>2)::int AS plan,
           (v->>3)::int AS unit_id
    FROM json_array_elements(%(batch)s::json) AS t(v)),
given AS (
    SELECT (v->>0)::int AS pos, 1 AS src, n AS a, 0 AS b, v->>1 AS k, (v->>2)::int AS item_id,
           v->>3 AS reminder, v->>4 AS stage, v->>5 AS email, v->>6 AS name, (v->>7)::json AS cc,
           (v->>8)::json AS context, (v->>9)::timestamptz AS send_after,
           (v->>10)::bool AS any_hour, v->>11 AS message_id
    FROM json_array_elements(%(given)s::json) WITH ORDINALITY AS t(v, n)),
plans AS MATERIALIZED (
    SELECT n AS dix, (v->>0)::int AS plan, v->>1 AS stage, v->>2 AS reminder, v->>3 AS aud,
           v->>4 AS cc_aud, (v->>5)::timestamptz AS send_after, (v->>6)::bool AS any_hour,
           v->>7 AS due_iso
    FROM json_array_elements(%(plans)s::json) WITH ORDINALITY AS t(v, n)),
people AS MATERIALIZED (
    SELECT n AS rix, v->>0 AS grp, v->>1 AS name, v->>2 AS email
    FROM json_array_elements(%(people)s::json) WITH ORDINALITY AS t(v, n)),
items AS MATERIALIZED (
    SELECT b.pos, b.plan, b.item_id AS id, u.contact_name, u.contact_email, u.leader_name,
           u.leader_email
    FROM batch b JOIN unit u ON u.id = b.unit_id),
""" + _ROWS + """,
fanned AS (
    SELECT pos, 0 AS src, dix AS a, rix AS b, k, item_id, reminder, stage, email, name,
           CASE WHEN cc_aud IS NULL THEN '[]'::json ELSE coalesce(
               (SELECT json_agg(e ORDER BY rix) FROM (
                    SELECT g2.rix, """ + _CC_EMAIL + """ AS e FROM people g2
                    WHERE g2.grp = """ + _CC_WHO + """) c
                WHERE lower(e) <> lower(keyed.email)), '[]'::json) END AS cc,
           '{}'::json AS context, send_after, any_hour,
           '<' || left(encode(sha256(convert_to(k, 'UTF8')), 'hex'), 32) || '@' || %(domain)s::text || '>'
               AS message_id
    FROM keyed),
inserted AS (
    INSERT INTO outbox (""" + _COLUMNS + """)
    SELECT k, item_id, reminder, stage, email, name, cc, context, send_after, any_hour, message_id,
           'pending', 0, %(now)s::timestamptz
    FROM (SELECT * FROM fanned UNION ALL SELECT * FROM given) r
    ORDER BY pos, src, a, b
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING reminder)
SELECT reminder, count(*) FROM inserted GROUP BY reminder
"""

_SQLITE = """
WITH batch AS (
    SELECT j.value->>0 AS pos, j.value->>1 AS item_id, j.value->>2 AS plan,
           j.value->>3 AS unit_id
    FROM json_each(:batch) j),
given AS (
    SELECT j.value->>0 AS pos, 1 AS src, j.key AS a, 0 AS b, j.value->>1 AS k,
           j.value->>2 AS item_id,
           j.value->>3 AS reminder, j.value->>4 AS stage, j.value->>5 AS email,
           j.value->>6 AS name, j.value->>7 AS cc, j.value->>8 AS context,
           j.value->>9 AS send_after, j.value->>10 AS any_hour, j.value->>11 AS message_id
    FROM json_each(:given) j),
plans AS MATERIALIZED (
    SELECT j.key AS dix, j.value->>0 AS plan, j.value->>1 AS stage, j.value->>2 AS reminder,
           j.value->>3 AS aud, j.value->>4 AS cc_aud, j.value->>5 AS send_after,
           j.value->>6 AS any_hour, j.value->>7 AS due_iso
    FROM json_each(:plans) j),
people AS MATERIALIZED (
    SELECT j.key AS rix, j.value->>0 AS grp, j.value->>1 AS name, j.value->>2 AS email
    FROM json_each(:people) j),
items AS MATERIALIZED (
    SELECT b.pos, b.plan, b.item_id AS id, u.contact_name, u.contact_email, u.leader_name,
           u.leader_email
    FROM batch b JOIN unit u ON u.id = b.unit_id),
""" + _ROWS + """,
fanned AS (
    SELECT pos, 0 AS src, dix AS a, rix AS b, k, item_id, reminder, stage, email, name,
           CASE WHEN cc_aud IS NULL THEN '[]' ELSE (
               SELECT json_group_array(e) FROM (
                   SELECT """ + _CC_EMAIL + """ AS e FROM people g2
                   WHERE g2.grp = """ + _CC_WHO + """ ORDER BY g2.rix)
               WHERE lower(e) <> lower(keyed.email)) END AS cc,
           '{}' AS context, send_after, any_hour, duban_message_id(k, :domain) AS message_id
    FROM keyed)
INSERT INTO outbox (""" + _COLUMNS + """)
SELECT k, item_id, reminder, stage, email, name, cc, context, send_after, any_hour, message_id,
       'pending', 0, :now
FROM (SELECT * FROM fanned UNION ALL SELECT * FROM given)
WHERE true
ORDER BY pos, src, a, b
ON CONFLICT (dedupe_key) DO NOTHING
"""


def people_rows(heads: list[tuple[str, str]], bureau: list[tuple[str, str]]) -> list[list]:
    """The recipient groups as the SQL reads them; 'contact' and 'leader' are placeholders
    filled from the item's unit."""
    return ([["contact", None, None], ["leader", None, None]]
            + [["heads", name, email] for name, email in heads]
            + [["bureau", name, email] for name, email in bureau])


def insert_fanned(conn: Connection, *, batch: list[list], plans: list[list], people: list[list],
                  given: list[tuple[int, NewRow]], now: datetime, domain: str) -> Counter[str]:
    """Insert, pending and created at ``now``, the rows owed by ``batch`` ([position, item id,
    plan, unit id] per item, context ``{}``) and the rows ``given`` (built in Python, with
    their item's position), ids in position order: by due and recipient for
    a fanned item, in the given order for the others, as when every row was built in Python
    (a given row of a fanned item, its 签收提醒, after the item's fanned rows).
    ``plans``: [plan, stage, reminder, audience, cc audience, send_after, any_hour, due_at
    text] per due, in order. Returns how many were inserted of each reminder kind."""
    if not batch and not given:
        return Counter()
    params: dict[str, Any] = {"batch": json.dumps(batch), "people": json.dumps(people),
                              "domain": domain}
    if conn.dialect.name == "postgresql":
        def instant(t: datetime) -> str:
            return t.isoformat()
    else:
        instant = OUTBOX.c.send_after.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    params["plans"] = json.dumps([[*p[:5], instant(p[5]), *p[6:]] for p in plans])
    params["given"] = json.dumps([[pos, *r[:8], instant(r.send_after), r.any_hour, r.message_id]
                                  for pos, r in given])
    if conn.dialect.name == "postgresql":
        params["now"] = now
        return Counter(dict(conn.exec_driver_sql(_PG, params).all()))
    params["now"] = instant(now)
    raw = conn.connection.driver_connection
    raw.create_function("duban_message_id", 2, message_id_for, deterministic=True)
    # SQLite holds the write lock for the whole transaction (BEGIN IMMEDIATE): rows with an id
    # above the largest one before the insert are exactly the rows it added.
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM outbox").scalar()
    conn.exec_driver_sql(_SQLITE, params)
    found = conn.exec_driver_sql(
        "SELECT reminder, count(*) FROM outbox WHERE id > ? GROUP BY reminder", (before,))
    return Counter(dict(found.all()))
