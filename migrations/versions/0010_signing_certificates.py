"""An organization's certificate for signing published PDFs (PAdES).

Revision ID: 0010_signing_certificates
Revises: 0009_rate_limit
"""

import sqlalchemy as sa
from alembic import op

import tracker.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "0010_signing_certificates"
down_revision = "0009_rate_limit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("not_after", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id"),
    )


def downgrade():
    op.drop_table("signing_certificates")
