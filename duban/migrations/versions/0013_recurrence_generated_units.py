"""``recurrence.generated_units``: the units a template's occurrences were last generated for.

Generation compares it with the template's current targets, so a street office added later
gets occurrences from the next slot (not from the end of the 60 days already generated), and
a unit that left gets none after today. Existing rows start as NULL: their next generation
fills in any slot missing for a current unit from tomorrow on, then records the set.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recurrence") as batch:
        batch.add_column(sa.Column("generated_units", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recurrence") as batch:
        batch.drop_column("generated_units")
