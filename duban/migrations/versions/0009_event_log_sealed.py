"""The event log also refuses REPLACE, upsert and TRUNCATE, not only UPDATE and DELETE.

SQLite: ``REPLACE INTO event …`` (and ``INSERT OR REPLACE``) deletes the row it collides with
without firing DELETE triggers, unless the connection has ``recursive_triggers`` on (duban's
connections do: duban/db.py). A BEFORE INSERT trigger refusing an id already in the log closes
it for every connection, the sqlite3 shell's included, and refuses an upsert
(``ON CONFLICT (id) DO UPDATE``) before its update.

PostgreSQL: row triggers do not fire on TRUNCATE; a statement-level BEFORE TRUNCATE trigger
does. An upsert's update fires the row trigger of revision 0001.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
            "FOR EACH STATEMENT EXECUTE FUNCTION duban_event_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER event_no_replace BEFORE INSERT ON event "
            "WHEN EXISTS (SELECT 1 FROM event WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_no_truncate ON event")
    else:
        op.execute("DROP TRIGGER IF EXISTS event_no_replace")
