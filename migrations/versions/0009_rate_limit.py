"""rate limit: login-throttling counters in the database

Revision ID: 0009_rate_limit
Revises: 0008_line
Create Date: 2026-12-02

Flask-Limiter kept failed-login counters in each process's memory, so every
gunicorn worker allowed its own 10 a minute (issue 9). The shared default
store is now this table (tracker/ratelimit.py).

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_rate_limit"
down_revision = "0008_line"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_entries")),
    )
    with op.batch_alter_table("rate_limit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_entries_key_at", ["key", "at"], unique=False)
        batch_op.create_index("ix_rate_limit_entries_expires_at", ["expires_at"], unique=False)


def downgrade():
    op.drop_table("rate_limit_entries")
