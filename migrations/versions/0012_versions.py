"""versions: edit counters, the version in the journal, drafts of forms not taken

Steps, measures, plans, users and follow-up results get an edit counter; the
journal notes the version each change left its record at; form_drafts keeps
what was typed into a form that could not be taken (an ended session, an
expired form, a file too large) until its author is back (issue 11).

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
    op.create_table(
        "form_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=500), nullable=False),
        sa.Column("page", sa.String(length=1000), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_form_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_drafts")),
        sa.UniqueConstraint("key", name=op.f("uq_form_drafts_key")),
    )
    with op.batch_alter_table("form_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_drafts_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_form_drafts_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("form_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_drafts_user_id"))
        batch_op.drop_index(batch_op.f("ix_form_drafts_expires_at"))
    op.drop_table("form_drafts")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_column("entity_version")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
