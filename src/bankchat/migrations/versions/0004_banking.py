"""Bank connections, linked accounts, link attempts and handled webhook events (banking).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_connections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(32), nullable=False),
        sa.Column("external_consent_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("frequency_per_day", sa.Integer(), nullable=False),
        sa.Column("uses_date", sa.Date(), nullable=True),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("authorised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(10), nullable=True),
        sa.Column("bank_deletion_pending", sa.Boolean(), nullable=False),
        sa.Column("expiry_warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bank_connections_person_id", "bank_connections", ["person_id"])
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "connection_id",
            sa.String(36),
            sa.ForeignKey(
                "bank_connections.id",
                ondelete="CASCADE",
                name="fk_bank_accounts_connection_id_bank_connections",
            ),
            nullable=False,
        ),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("kind_path", sa.String(16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("synced_through", sa.Date(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("connection_id", "external_id", name="uq_bank_accounts_connection_id"),
    )
    op.create_index("ix_bank_accounts_person_id", "bank_accounts", ["person_id"])
    op.create_index("ix_bank_accounts_bank_external", "bank_accounts", ["bank_id", "external_id"])
    op.create_table(
        "bank_link_attempts",
        sa.Column("state_digest", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(32), nullable=False),
        sa.Column("external_consent_id", sa.String(128), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("frequency_per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bank_link_attempts_person_id", "bank_link_attempts", ["person_id"])
    op.create_index("ix_bank_link_attempts_expires_at", "bank_link_attempts", ["expires_at"])
    op.create_table(
        "bank_webhook_events",
        sa.Column("bank_id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bank_webhook_events_received_at", "bank_webhook_events", ["received_at"])


def downgrade() -> None:
    op.drop_table("bank_webhook_events")
    op.drop_table("bank_link_attempts")
    op.drop_table("bank_accounts")
    op.drop_table("bank_connections")
