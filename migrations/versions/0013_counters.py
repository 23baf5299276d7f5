"""plan counters: per-plan step figures and open steps per due date, for the overview

Revision ID: 0013_counters
Revises: 0011_official_documents
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_counters"
down_revision = "0012_versions"
branch_labels = None
depends_on = None

STEP_PLAN = """
    FROM steps s
    JOIN measures m ON s.measure_id = m.id
    JOIN weaknesses w ON m.weakness_id = w.id
"""


def upgrade():
    op.create_table(
        "plan_counters",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("last_activity", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_counters_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plan_counters")),
    )
    op.create_table(
        "plan_due_counts",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("open_steps", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_due_counts_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "due_date", name=op.f("pk_plan_due_counts")),
    )
    # The overview leaves out the oversight offices: found by role through an index.
    op.create_index("ix_users_role_organization", "users", ["role", "organization_id"])
    # The counters of the plans already there: the same recount as tracker.plans.counters.
    op.execute(
        "INSERT INTO plan_counters (plan_id, total, done, started, last_activity) "
        "SELECT w.plan_id,"
        " SUM(CASE WHEN s.status <> 'cancelled' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN s.status = 'done' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN s.status IN ('in_progress', 'done') THEN 1 ELSE 0 END),"
        " (SELECT MAX(j.created_at) FROM journal_entries j"
        "   JOIN steps s2 ON j.step_id = s2.id JOIN measures m2 ON s2.measure_id = m2.id"
        "   JOIN weaknesses w2 ON m2.weakness_id = w2.id"
        "   WHERE w2.plan_id = w.plan_id AND j.action IN ('status', 'comment', 'evidence_add', 'evidence_remove'))"
        + STEP_PLAN
        + " GROUP BY w.plan_id"
    )
    op.execute(
        "INSERT INTO plan_due_counts (plan_id, due_date, open_steps) "
        "SELECT w.plan_id, s.due_date, COUNT(*)"
        + STEP_PLAN
        + " WHERE s.status IN ('not_started', 'in_progress') GROUP BY w.plan_id, s.due_date"
    )


def downgrade():
    op.drop_index("ix_users_role_organization", table_name="users")
    op.drop_table("plan_due_counts")
    op.drop_table("plan_counters")
