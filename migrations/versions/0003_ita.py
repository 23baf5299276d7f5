"""ITA frameworks, indicator scores and context rows

Revision ID: 0003_ita
Revises: 0002_notifications
Create Date: 2026-11-24

"""

import sqlalchemy as sa
from alembic import op

import tracker.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "0003_ita"
down_revision = "0002_notifications"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ita_frameworks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("levels_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ita_frameworks")),
        sa.UniqueConstraint("fiscal_year", name=op.f("uq_ita_frameworks_fiscal_year")),
    )

    op.create_table(
        "ita_context_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ita_context_scores_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ita_context_scores")),
        sa.UniqueConstraint(
            "organization_id",
            "fiscal_year",
            "scope",
            name=op.f("uq_ita_context_scores_organization_id_fiscal_year_scope"),
        ),
    )

    with op.batch_alter_table("ita_context_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ita_context_scores_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "ita_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["ita_frameworks.id"],
            name=op.f("fk_ita_tools_framework_id_ita_frameworks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ita_tools")),
        sa.UniqueConstraint("framework_id", "code", name=op.f("uq_ita_tools_framework_id_code")),
    )

    with op.batch_alter_table("ita_tools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ita_tools_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "ita_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["ita_frameworks.id"],
            name=op.f("fk_ita_indicators_framework_id_ita_frameworks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["ita_tools.id"], name=op.f("fk_ita_indicators_tool_id_ita_tools"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ita_indicators")),
        sa.UniqueConstraint("framework_id", "number", name=op.f("uq_ita_indicators_framework_id_number")),
    )

    with op.batch_alter_table("ita_indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ita_indicators_framework_id"), ["framework_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ita_indicators_tool_id"), ["tool_id"], unique=False)

    op.create_table(
        "ita_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["ita_indicators.id"],
            name=op.f("fk_ita_scores_indicator_id_ita_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ita_scores_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ita_scores")),
        sa.UniqueConstraint("organization_id", "indicator_id", name=op.f("uq_ita_scores_organization_id_indicator_id")),
    )

    with op.batch_alter_table("ita_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ita_scores_indicator_id"), ["indicator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ita_scores_organization_id"), ["organization_id"], unique=False)


def downgrade():
    with op.batch_alter_table("ita_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ita_scores_organization_id"))
        batch_op.drop_index(batch_op.f("ix_ita_scores_indicator_id"))

    op.drop_table("ita_scores")

    with op.batch_alter_table("ita_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ita_indicators_tool_id"))
        batch_op.drop_index(batch_op.f("ix_ita_indicators_framework_id"))

    op.drop_table("ita_indicators")

    with op.batch_alter_table("ita_tools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ita_tools_framework_id"))

    op.drop_table("ita_tools")

    with op.batch_alter_table("ita_context_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ita_context_scores_organization_id"))

    op.drop_table("ita_context_scores")

    op.drop_table("ita_frameworks")
