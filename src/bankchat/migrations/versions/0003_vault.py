"""data keys grants encrypted bank data and audit chain (vault).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_data_keys",
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_vault_data_keys"),
    )
    op.create_table(
        "vault_grants",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_vault_grants"),
    )
    op.create_index("ix_vault_grants_person_id", "vault_grants", ["person_id"])
    op.create_table(
        "vault_accounts",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("details", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_vault_accounts"),
    )
    op.create_index("ix_vault_accounts_person_id", "vault_accounts", ["person_id"])
    op.create_table(
        "vault_balances",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("balances", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_vault_balances"),
    )
    op.create_index("ix_vault_balances_person_id", "vault_balances", ["person_id"])
    op.create_table(
        "vault_transactions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(7), nullable=False),
        sa.Column("sort_date", sa.Date(), nullable=True),
        sa.Column("key_digest", sa.LargeBinary(), nullable=False),
        sa.Column("content_digest", sa.LargeBinary(), nullable=False),
        sa.Column("amount_ct", sa.LargeBinary(), nullable=False),
        sa.Column("counterparty_ct", sa.LargeBinary(), nullable=False),
        sa.Column("remittance_ct", sa.LargeBinary(), nullable=False),
        sa.Column("location_ct", sa.LargeBinary(), nullable=False),
        sa.Column("details_ct", sa.LargeBinary(), nullable=False),
        sa.Column("annotation_ct", sa.LargeBinary(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vault_transactions"),
        sa.UniqueConstraint("account_id", "key_digest", name="uq_vault_transactions_account_id"),
    )
    op.create_index("ix_vault_transactions_person_id", "vault_transactions", ["person_id"])
    op.create_index(
        "ix_vault_transactions_account_sort", "vault_transactions", ["account_id", "sort_date"]
    )
    op.create_table(
        "audit_entries",
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "seq", name="pk_audit_entries"),
    )
    op.create_table(
        "audit_heads",
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_audit_heads"),
    )


def downgrade() -> None:
    op.drop_table("audit_heads")
    op.drop_table("audit_entries")
    op.drop_index("ix_vault_transactions_account_sort", table_name="vault_transactions")
    op.drop_index("ix_vault_transactions_person_id", table_name="vault_transactions")
    op.drop_table("vault_transactions")
    op.drop_index("ix_vault_balances_person_id", table_name="vault_balances")
    op.drop_table("vault_balances")
    op.drop_index("ix_vault_accounts_person_id", table_name="vault_accounts")
    op.drop_table("vault_accounts")
    op.drop_index("ix_vault_grants_person_id", table_name="vault_grants")
    op.drop_table("vault_grants")
    op.drop_table("vault_data_keys")
