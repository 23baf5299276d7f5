"""organizations.done_requires: what a step needs before it is marked done (issue 11)

Revision ID: 0020_done_rule
Revises: 0019_signoff_reminders
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_done_rule"
down_revision = "0019_signoff_reminders"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "done_requires",
                sa.Enum("none", "note", "evidence", "note_and_evidence", name="donerule", native_enum=False, length=24),
                server_default="note",
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("done_requires")
