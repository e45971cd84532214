"""The assistant's dialogue state per assistant conversation (assistant).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assistant_states",
        sa.Column(
            "conversation_id",
            sa.String(36),
            sa.ForeignKey(
                "conversations.id",
                ondelete="CASCADE",
                name="fk_assistant_states_conversation_id_conversations",
            ),
            primary_key=True,
        ),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("handled_seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assistant_states_person_id", "assistant_states", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_assistant_states_person_id", table_name="assistant_states")
    op.drop_table("assistant_states")
