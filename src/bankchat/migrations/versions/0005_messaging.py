"""Conversations, their members and messages, and contacts (messaging).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pair_key", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("pair_key", name="uq_conversations_pair_key"),
    )
    op.create_table(
        "conversation_members",
        sa.Column(
            "conversation_id",
            sa.String(36),
            sa.ForeignKey(
                "conversations.id",
                ondelete="CASCADE",
                name="fk_conversation_members_conversation_id_conversations",
            ),
            primary_key=True,
        ),
        sa.Column("member_id", sa.String(36), primary_key=True),
        sa.Column("last_read_seq", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversation_members_member_id", "conversation_members", ["member_id"])
    op.create_table(
        "messages",
        sa.Column(
            "conversation_id",
            sa.String(36),
            sa.ForeignKey(
                "conversations.id",
                ondelete="CASCADE",
                name="fk_messages_conversation_id_conversations",
            ),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("sender_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("id", name="uq_messages_id"),
        sa.UniqueConstraint(
            "conversation_id", "sender_id", "client_id", name="uq_messages_conversation_id"
        ),
    )
    op.create_table(
        "contacts",
        sa.Column("owner_id", sa.String(36), primary_key=True),
        sa.Column("contact_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("messages")
    op.drop_index("ix_conversation_members_member_id", table_name="conversation_members")
    op.drop_table("conversation_members")
    op.drop_table("conversations")
