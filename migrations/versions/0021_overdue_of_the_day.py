"""plan_counters.overdue / overdue_on: the day's overdue steps per plan, kept (issue 14)

Revision ID: 0021_overdue_of_the_day
Revises: 0020_done_rule
Create Date: 2026-12-03

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_overdue_of_the_day"
down_revision = "0020_done_rule"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan_counters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue", sa.Integer(), server_default="0", nullable=False))
        # NULL: not counted for any day yet; readers sum plan_due_counts until the scheduler's
        # first beat of a day (or a recount of the plan) writes it.
        batch_op.add_column(sa.Column("overdue_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("plan_counters", schema=None) as batch_op:
        batch_op.drop_column("overdue_on")
        batch_op.drop_column("overdue")
