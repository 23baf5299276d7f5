"""reports: follow-up results, sign-off chain, analysis memo; evidence of a measure

Revision ID: 0004_reports
Revises: 0003_ita
Create Date: 2026-11-24

Evidence may now belong to a measure's follow-up result instead of a step.

"""

import sqlalchemy as sa
from alembic import op

import tracker.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "0004_reports"
down_revision = "0003_ita"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analysis_memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("office", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("memo_date", sa.Date(), nullable=True),
        sa.Column("addressee", sa.String(length=200), nullable=False),
        sa.Column("findings_json", sa.Text(), nullable=False),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_analysis_memos_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_memos")),
        sa.UniqueConstraint("plan_id", name=op.f("uq_analysis_memos_plan_id")),
    )

    op.create_table(
        "report_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("followup", "analysis", name="reportkind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "acknowledged", "withdrawn", name="submissionstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_submissions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_report_submissions_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_report_submissions_submitted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_submissions")),
    )

    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_submissions_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_submissions_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "measure_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_measure_results_measure_id_measures"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_measure_results_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_results")),
        sa.UniqueConstraint("measure_id", name=op.f("uq_measure_results_measure_id")),
    )

    op.create_table(
        "report_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["report_submissions.id"],
            name=op.f("fk_report_acknowledgements_submission_id_report_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_report_acknowledgements_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_acknowledgements")),
        sa.UniqueConstraint("submission_id", "order", name=op.f("uq_report_acknowledgements_submission_id_order")),
    )

    with op.batch_alter_table("report_acknowledgements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_acknowledgements_submission_id"), ["submission_id"], unique=False)

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("measure_id", sa.Integer(), nullable=True))
        batch_op.alter_column("step_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_evidence_measure_id"), ["measure_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_measure_id_measures"), "measures", ["measure_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_check_constraint("step_or_measure", "(step_id IS NULL) <> (measure_id IS NULL)")


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint("step_or_measure", type_="check")
        batch_op.drop_constraint(batch_op.f("fk_evidence_measure_id_measures"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_evidence_measure_id"))
        batch_op.alter_column("step_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("measure_id")

    with op.batch_alter_table("report_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_acknowledgements_submission_id"))

    op.drop_table("report_acknowledgements")

    op.drop_table("measure_results")

    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_submissions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_report_submissions_organization_id"))

    op.drop_table("report_submissions")

    op.drop_table("analysis_memos")
