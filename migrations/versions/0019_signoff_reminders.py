"""sign-off reminders: when the signer whose turn it is was reminded, and after how many business days

Revision ID: 0019_signoff_reminders
Revises: 0018_saved_filters
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_signoff_reminders"
down_revision = "0018_saved_filters"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_acknowledgements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("notification_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signoff_reminder_days", sa.Integer(), server_default="3", nullable=False))


def downgrade():
    with op.batch_alter_table("notification_rules", schema=None) as batch_op:
        batch_op.drop_column("signoff_reminder_days")
    with op.batch_alter_table("report_acknowledgements", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
