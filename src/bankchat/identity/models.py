"""The identity tables: people, their sign-in sessions and the record of login attempts
that the rate limit counts. Migration 0002 creates exactly these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bankchat.db import Base, UtcDateTime
from bankchat.language import Language as Language  # re-exported: the identity API uses it


class Person(Base):
    """Someone with an account on this platform."""

    __tablename__ = "people"
    __table_args__ = (CheckConstraint("language IN ('de', 'en')", name="language"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Normalised (stripped, lower-cased) so uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[Language] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionRecord(Base):
    """A signed-in browser; the token itself is never stored, only its SHA-256."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoginAttempt(Base):
    """One try to log in, kept for a day so the rate limit can count failures.

    The email is kept only as a digest: the table must not become a list of addresses
    people (or attackers) typed.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_digest_at", "email_digest", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email_digest: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    succeeded: Mapped[bool] = mapped_column(Boolean)
