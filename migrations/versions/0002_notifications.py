"""notifications: rules, outbox, digest preferences, calendar tokens

Revision ID: 0002_notifications
Revises: 0001_core
Create Date: 2026-11-24

"""

import sqlalchemy as sa
from alembic import op

import tracker.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "0002_notifications"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_beats",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("beat_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_beats")),
    )
    op.create_table(
        "notification_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("days_before", sa.String(length=64), nullable=False),
        sa.Column("remind_on_due_date", sa.Boolean(), nullable=False),
        sa.Column("overdue_weekday", sa.Integer(), nullable=True),
        sa.Column("escalate_after_days", sa.Integer(), nullable=True),
        sa.Column("digest_weekday", sa.Integer(), nullable=True),
        sa.Column("monthly_summary", sa.Boolean(), nullable=False),
        sa.Column("lookahead_days", sa.Integer(), nullable=False),
        sa.Column("send_after_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notification_rules_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rules")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_notification_rules_organization_id")),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("about", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("for_date", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "sending", "sent", "failed", "captured", name="outboxstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outbox_messages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbox_messages_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint(
            "about", "kind", "for_date", "recipient", name=op.f("uq_outbox_messages_about_kind_for_date_recipient")
        ),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_messages_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "outbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("trigger_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_outbox_items_message_id_outbox_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["steps.id"], name=op.f("fk_outbox_items_step_id_steps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_items")),
        sa.UniqueConstraint(
            "recipient",
            "step_id",
            "reason",
            "trigger_date",
            "due_date",
            name=op.f("uq_outbox_items_recipient_step_id_reason_trigger_date_due_date"),
        ),
    )
    with op.batch_alter_table("outbox_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_items_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_items_step_id"), ["step_id"], unique=False)

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_departments_calendar_token"), ["calendar_token"])

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("digest_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_calendar_token"), ["calendar_token"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_calendar_token"), type_="unique")
        batch_op.drop_column("calendar_token")
        batch_op.drop_column("digest_weekday")
        batch_op.drop_column("digest_enabled")

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_departments_calendar_token"), type_="unique")
        batch_op.drop_column("calendar_token")

    with op.batch_alter_table("outbox_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_items_step_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_items_message_id"))

    op.drop_table("outbox_items")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_organization_id"))
        batch_op.drop_index("ix_outbox_messages_due")

    op.drop_table("outbox_messages")
    op.drop_table("notification_rules")
    op.drop_table("scheduler_beats")
