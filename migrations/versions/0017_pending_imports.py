"""plan files waiting for their import to be confirmed (the preview keeps the bytes)

Revision ID: 0017_pending_imports
Revises: 0016_search_trigrams
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_pending_imports"
down_revision = "0016_search_trigrams"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_pending_imports_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_imports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_imports")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_imports_token_hash")),
    )
    with op.batch_alter_table("pending_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_imports_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_imports_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pending_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_imports_user_id"))
        batch_op.drop_index(batch_op.f("ix_pending_imports_expires_at"))
    op.drop_table("pending_imports")
