"""The assistant's one table: the dialogue state of each assistant conversation (what was
last asked, what is pending, where a list stands). Migration 0006 creates exactly this.

The row goes with its conversation (erasing a person deletes their assistant conversation,
and the state with it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bankchat.db import Base, UtcDateTime


class AssistantState(Base):
    """The dialogue state of one assistant conversation.

    ``handled_seq`` is the sequence number of the newest message of the person that has
    been answered: a message delivered again with a number not above it is not answered
    twice. ``data`` is the JSON form of ``state.DialogueState``.
    """

    __tablename__ = "assistant_states"

    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    handled_seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
