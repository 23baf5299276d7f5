"""core: organizations, users, plans, steps, evidence, journal

Revision ID: 0001_core
Revises:
Create Date: 2026-11-24

departments.head_id and users.department_id refer to each other, so the
head's foreign key is added once both tables exist.

"""

import sqlalchemy as sa
from alembic import op

import tracker.db

# revision identifiers, used by Alembic.
revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_departments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_departments_organization_id_name")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departments_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "active", "closed", name="planstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_plans_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("organization_id", "fiscal_year", name=op.f("uq_plans_organization_id_fiscal_year")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "manager", "owner", "viewer", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("thai_digits", sa.Boolean(), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False)

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_departments_head_id_users"), "users", ["head_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "weaknesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_weaknesses_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weaknesses")),
        sa.UniqueConstraint("plan_id", "order", name=op.f("uq_weaknesses_plan_id_order")),
    )
    with op.batch_alter_table("weaknesses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weaknesses_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weakness_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_department_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_measures_period_order")),
        sa.ForeignKeyConstraint(
            ["owner_department_id"], ["departments.id"], name=op.f("fk_measures_owner_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["weakness_id"], ["weaknesses.id"], name=op.f("fk_measures_weakness_id_weaknesses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
        sa.UniqueConstraint("weakness_id", "order", name=op.f("uq_measures_weakness_id_order")),
    )
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measures_owner_department_id"), ["owner_department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measures_weakness_id"), ["weakness_id"], unique=False)

    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_department_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("not_started", "in_progress", "done", "cancelled", name="stepstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("completed_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_steps_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"], ["users.id"], name=op.f("fk_steps_completed_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_steps_measure_id_measures"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_id"], ["departments.id"], name=op.f("fk_steps_owner_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steps")),
        sa.UniqueConstraint("measure_id", "order", name=op.f("uq_steps_measure_id_order")),
    )
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_steps_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_steps_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_steps_measure_id"), ["measure_id"], unique=False)
        batch_op.create_index("ix_steps_owner_status_due", ["owner_department_id", "status", "due_date"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("file", "link", name="evidencekind", native_enum=False, length=8), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("stored_name", sa.String(length=80), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["step_id"], ["steps.id"], name=op.f("fk_evidence_step_id_steps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_evidence_uploaded_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_evidence_stored_name")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_step_id"), ["step_id"], unique=False)

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_journal_entries_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journal_entries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["steps.id"], name=op.f("fk_journal_entries_step_id_steps"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index("ix_journal_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_entries_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_entries_step_id"), ["step_id"], unique=False)


def downgrade():
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_departments_head_id_users"), type_="foreignkey")

    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_step_id"))
        batch_op.drop_index(batch_op.f("ix_journal_entries_organization_id"))
        batch_op.drop_index("ix_journal_entity")

    op.drop_table("journal_entries")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_step_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_index("ix_steps_owner_status_due")
        batch_op.drop_index(batch_op.f("ix_steps_measure_id"))
        batch_op.drop_index(batch_op.f("ix_steps_due_date"))
        batch_op.drop_index(batch_op.f("ix_steps_assignee_id"))

    op.drop_table("steps")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measures_weakness_id"))
        batch_op.drop_index(batch_op.f("ix_measures_owner_department_id"))

    op.drop_table("measures")
    with op.batch_alter_table("weaknesses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weaknesses_plan_id"))

    op.drop_table("weaknesses")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))
        batch_op.drop_index(batch_op.f("ix_users_department_id"))

    op.drop_table("users")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_organization_id"))

    op.drop_table("plans")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_organization_id"))

    op.drop_table("departments")
    op.drop_table("organizations")
