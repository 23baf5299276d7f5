"""official documents: the organization's emblem (ครุฑ) and Thai digits setting

Revision ID: 0011_official_documents
Revises: 0010_signing_certificates
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_official_documents"
down_revision = "0010_signing_certificates"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emblem_stored_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("emblem_content_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("emblem_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("official_thai_digits", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("official_thai_digits")
        batch_op.drop_column("emblem_sha256")
        batch_op.drop_column("emblem_content_type")
        batch_op.drop_column("emblem_stored_name")
