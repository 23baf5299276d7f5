"""versions: an edit counter on steps, measures, plans, users and follow-up results;
the journal notes the version each change left its record at

Revision ID: 0012_versions
Revises: 0011_official_documents
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_versions"
down_revision = "0011_official_documents"
branch_labels = None
depends_on = None

VERSIONED = ("plans", "measures", "steps", "measure_results", "users")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entity_version", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_column("entity_version")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
