"""ita frameworks: versions per scope, the whole framework as data, a plan's assessed year

Revision ID: 0007_ita_frameworks
Revises: 0006_perf_indexes
Create Date: 2026-12-02

Frameworks become versioned rows per (fiscal year, scope): "national" for
every organization or "org:<id>" for one organization's own. The whole
framework (rating rules, the OIT items the documents cite, sources) is kept as
JSON in spec_json; existing rows get theirs from their tools and indicators,
with the items and sources of the shipped file of the same year.
Plans record the ITA year their measures answer (assessed_year, the year
before the plan's fiscal year for existing plans).

"""

import json
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

import tracker.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "0007_ita_frameworks"
down_revision = "0006_perf_indexes"
branch_labels = None
depends_on = None

SHIPPED = Path(__file__).resolve().parents[2] / "tracker" / "ita" / "frameworks"


def _spec_of(conn, row) -> str:
    tools = conn.execute(
        sa.text('SELECT id, code, name, name_en, weight FROM ita_tools WHERE framework_id = :f ORDER BY "order"'),
        {"f": row.id},
    ).fetchall()
    spec = {
        "fiscal_year": row.fiscal_year,
        "name": row.name,
        "overall": {"round_tools_first": True, "decimals": 2},
        "levels": json.loads(row.levels_json),
        "tools": [],
    }
    for tool in tools:
        indicators = conn.execute(
            sa.text("SELECT number, name FROM ita_indicators WHERE tool_id = :t ORDER BY number"), {"t": tool.id}
        ).fetchall()
        spec["tools"].append(
            {
                "code": tool.code,
                "name": tool.name,
                "name_en": tool.name_en or "",
                "weight": str(tool.weight),
                "indicators": [{"number": i.number, "name": i.name} for i in indicators],
            }
        )
    shipped = SHIPPED / f"{row.fiscal_year}.yaml"
    if shipped.exists():
        extra = yaml.safe_load(shipped.read_text(encoding="utf-8"))
        for key in ("source", "notes", "items", "overall", "pass_threshold", "ratings"):
            if key in extra:
                spec[key] = extra[key]
    return json.dumps(spec, ensure_ascii=False)


def upgrade():
    with op.batch_alter_table("ita_frameworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=32), nullable=False, server_default="national"))
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("draft", "published", "retired", name="frameworkstatus", native_enum=False, length=16),
                nullable=False,
                server_default="published",
            )
        )
        batch_op.add_column(sa.Column("spec_json", sa.Text(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_at", tracker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("uq_ita_frameworks_fiscal_year", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_ita_frameworks_fiscal_year_scope_version"), ["fiscal_year", "scope", "version"]
        )
        batch_op.create_index(batch_op.f("ix_ita_frameworks_fiscal_year"), ["fiscal_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_ita_frameworks_organization_id"), ["organization_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_ita_frameworks_organization_id_organizations"),
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="CASCADE",
        )

    conn = op.get_bind()
    for row in conn.execute(sa.text("SELECT id, fiscal_year, name, levels_json FROM ita_frameworks")).fetchall():
        conn.execute(
            sa.text(
                "UPDATE ita_frameworks SET spec_json = :s, created_at = CURRENT_TIMESTAMP, "
                "published_at = CURRENT_TIMESTAMP WHERE id = :id"
            ),
            {"s": _spec_of(conn, row), "id": row.id},
        )

    with op.batch_alter_table("ita_frameworks", schema=None) as batch_op:
        batch_op.alter_column("scope", server_default=None)
        batch_op.alter_column("version", server_default=None)
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("spec_json", server_default=None)
        batch_op.alter_column("created_at", existing_type=tracker.db.UTCDateTime(timezone=True), nullable=False)

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessed_year", sa.Integer(), nullable=True))
    op.execute("UPDATE plans SET assessed_year = fiscal_year - 1")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("assessed_year", existing_type=sa.Integer(), nullable=False)


def downgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("assessed_year")

    conn = op.get_bind()
    # Only the newest national version of each year fits the old one-framework-per-year table.
    conn.execute(
        sa.text(
            "DELETE FROM ita_frameworks WHERE scope <> 'national' OR status = 'draft' OR id NOT IN "
            "(SELECT MAX(id) FROM ita_frameworks WHERE scope = 'national' AND status <> 'draft' GROUP BY fiscal_year)"
        )
    )
    with op.batch_alter_table("ita_frameworks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_ita_frameworks_organization_id_organizations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ita_frameworks_organization_id"))
        batch_op.drop_index(batch_op.f("ix_ita_frameworks_fiscal_year"))
        batch_op.drop_constraint(batch_op.f("uq_ita_frameworks_fiscal_year_scope_version"), type_="unique")
        batch_op.create_unique_constraint("uq_ita_frameworks_fiscal_year", ["fiscal_year"])
        batch_op.drop_column("published_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("spec_json")
        batch_op.drop_column("status")
        batch_op.drop_column("version")
        batch_op.drop_column("organization_id")
        batch_op.drop_column("scope")
