"""plans.fiscal_year indexed: the overview lists the years with a plan by one probe per year (issue 14)

Revision ID: 0022_plan_years
Revises: 0021_overdue_of_the_day
Create Date: 2026-12-03

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_plan_years"
down_revision = "0021_overdue_of_the_day"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_fiscal_year"), ["fiscal_year"], unique=False)


def downgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_fiscal_year"))
