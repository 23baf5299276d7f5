"""trash: deleted plan items kept for restore (plans.trash)

Revision ID: 0014_trash
Revises: 0013_counters
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

import tracker.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "0014_trash"
down_revision = "0013_counters"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trash_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("deleted_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_trash_items_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_trash_items_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_trash_items_deleted_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trash_items")),
    )
    with op.batch_alter_table("trash_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trash_items_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trash_items_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trash_items_deleted_at"), ["deleted_at"], unique=False)


def downgrade():
    with op.batch_alter_table("trash_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trash_items_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_trash_items_plan_id"))
        batch_op.drop_index(batch_op.f("ix_trash_items_organization_id"))
    op.drop_table("trash_items")
