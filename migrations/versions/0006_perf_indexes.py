"""perf indexes: the outbox's delivery order fully indexed

Revision ID: 0006_perf_indexes
Revises: 0005_publishing
Create Date: 2026-11-24

Delivery takes the due pending row with the earliest (next_attempt_at, id).
A pass queues thousands of messages with the same next_attempt_at, and an
index on (status, next_attempt_at) alone left PostgreSQL sorting all of them
by id for every single claim (benchmarks/RESULTS.md). SQLite's indexes end
with the rowid already; the id is now named for every database.

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_perf_indexes"
down_revision = "0005_publishing"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.create_index("ix_outbox_messages_due", ["status", "next_attempt_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.create_index("ix_outbox_messages_due", ["status", "next_attempt_at"], unique=False)
