"""Web accounts and their sessions (issue 13 §2).

``account``: one login per person, its role (管理员, 督办人员, 局领导, 承办单位), the unit a
承办单位 account is bound to, the argon2 hash of its password, and the lockout counters.
``web_session``: one row per signed-in browser, keyed by the SHA-256 of its cookie token;
deleting the row signs it out at once (logout, disable, password change).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
    )
    op.create_index("ix_web_session_account_id", "web_session", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_web_session_account_id", table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("account")
