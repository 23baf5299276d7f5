"""line: LINE as a notification channel (issue 15)

Revision ID: 0008_line
Revises: 0007_ita_frameworks
Create Date: 2026-12-02

The outbox carries a channel ("email" or "line") in its unique key, and what
a LINE push needs (the LINE user ID, the message objects, the retry key).
New tables: the organization's LINE account (secrets encrypted), people's
linked LINE accounts, link nonces, handled webhook events, channel choices.

"""

import sqlalchemy as sa
from alembic import op

import tracker.db

# revision identifiers, used by Alembic.
revision = "0008_line"
down_revision = "0007_ita_frameworks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=8), server_default="email", nullable=False))
        batch_op.add_column(sa.Column("line_to", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("line_messages", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("line_retry_key", sa.String(length=36), nullable=True))
        batch_op.drop_constraint("uq_outbox_messages_about_kind_for_date_recipient", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_messages_about_kind_for_date_recipient_channel"),
            ["about", "kind", "for_date", "recipient", "channel"],
        )
        batch_op.create_index(batch_op.f("ix_outbox_messages_line_retry_key"), ["line_retry_key"], unique=False)

    op.create_table(
        "line_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("basic_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("monthly_cap", sa.Integer(), nullable=False),
        sa.Column("default_choices", sa.JSON(), nullable=False),
        sa.Column("connected_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_line_channels_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_channels")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_line_channels_organization_id")),
    )
    op.create_table(
        "line_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("line_user_id", sa.String(length=64), nullable=False),
        sa.Column("linked_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_line_links_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_line_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_links")),
        sa.UniqueConstraint("organization_id", "line_user_id", name=op.f("uq_line_links_organization_id_line_user_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_line_links_user_id")),
    )
    op.create_table(
        "line_link_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_line_link_nonces_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_line_link_nonces_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_line_link_nonces")),
    )
    with op.batch_alter_table("line_link_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_link_nonces_user_id"), ["user_id"], unique=False)
    op.create_table(
        "line_webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("webhook_event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("received_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_line_webhook_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_webhook_events")),
        sa.UniqueConstraint(
            "organization_id", "webhook_event_id", name=op.f("uq_line_webhook_events_organization_id_webhook_event_id")
        ),
    )
    op.create_table(
        "notification_choices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_kind", sa.String(length=32), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_choices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "event_kind", name=op.f("pk_notification_choices")),
    )


def downgrade():
    op.drop_table("notification_choices")
    op.drop_table("line_webhook_events")
    with op.batch_alter_table("line_link_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_link_nonces_user_id"))
    op.drop_table("line_link_nonces")
    op.drop_table("line_links")
    op.drop_table("line_channels")
    op.execute("DELETE FROM outbox_messages WHERE channel <> 'email'")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_line_retry_key"))
        batch_op.drop_constraint("uq_outbox_messages_about_kind_for_date_recipient_channel", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_messages_about_kind_for_date_recipient"), ["about", "kind", "for_date", "recipient"]
        )
        batch_op.drop_column("line_retry_key")
        batch_op.drop_column("line_messages")
        batch_op.drop_column("line_to")
        batch_op.drop_column("channel")
