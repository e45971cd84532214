"""Every rule and every write about people and their sessions: sign-up, log-in with its
rate limit, session tokens, log-out, profile changes and erasure; and what other domains
may know of people (display names, people search) without reading identity's tables.

Every write takes the caller's unit of work (``uow.Tx``); reads take an ``AsyncSession``.
Nothing here opens a transaction: logging in and authenticating a request, which run in
several short transactions on purpose, are flows (``identity.flows``)."""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, Select, delete, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.errors import Conflict, DomainError, NotFound, TooManyRequests, Unauthenticated
from bankchat.events import PersonCreated
from bankchat.identity.models import LoginAttempt, Person, SessionRecord
from bankchat.identity.passwords import check_password, hash_password
from bankchat.language import Language as Language
from bankchat.uow import Tx

DEFAULT_SESSION_LIFETIME: Final = timedelta(days=14)
LOGIN_WINDOW: Final = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL: Final = 5
MAX_FAILURES_PER_IP: Final = 30
ATTEMPT_RETENTION: Final = timedelta(days=1)
LAST_SEEN_RESOLUTION: Final = timedelta(minutes=1)
IP_MAX_LENGTH: Final = 45
# Session ids per statement of a batch check, so no IN list grows without bound.
SESSION_CHECK_CHUNK: Final = 500
WRONG_CREDENTIALS: Final = "The email address or the password is wrong."


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"


class WeakPassword(DomainError):
    status = 422
    code = "WEAK_PASSWORD"


class InvalidCredentials(Unauthenticated):
    code = "INVALID_CREDENTIALS"


class LoginRateLimited(TooManyRequests):
    code = "LOGIN_RATE_LIMITED"


@dataclass(frozen=True)
class NewSession:
    """A session just started; ``token`` goes into the cookie and is stored nowhere."""

    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class AuthenticatedSession:
    """Who made a request, and the CSRF token their unsafe requests must carry."""

    person: Person
    csrf_token: str
    session_id: str


def normalise_email(email: str) -> str:
    """The form an address is stored and compared in: stripped and lower-cased.

    Lower-casing the local part too is a deliberate simplification: no mail provider a
    person would sign up with tells ``Anna@`` from ``anna@``.
    """
    return email.strip().lower()


def email_digest(email: str) -> str:
    """What the login-attempt log keeps instead of the address itself."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def token_digest(token: str) -> str:
    """A session's id: the SHA-256 of its token, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


async def find_person_by_email(session: AsyncSession, email: str) -> Person | None:
    """The person with this address (in any case), or None."""
    result = await session.execute(select(Person).where(Person.email == normalise_email(email)))
    return result.scalar_one_or_none()


# -- sign-up --------------------------------------------------------------------------


async def sign_up(
    tx: Tx,
    *,
    email: str,
    display_name: str,
    password: str,
    language: Language,
    hasher: PasswordHasher,
    now: datetime,
) -> Person:
    """Create a person; ``PersonCreated`` is published once ``tx`` commits (other domains
    then set up what a new person has, such as the assistant chat)."""
    session = tx.session
    email = normalise_email(email)
    display_name = display_name.strip()
    reasons = check_password(password, email=email, display_name=display_name)
    if reasons:
        raise WeakPassword("The password is too weak; see reasons.", extra={"reasons": reasons})
    taken = EmailTaken("An account with this email address already exists.")
    if await find_person_by_email(session, email) is not None:
        raise taken
    person = Person(
        id=str(uuid.uuid4()),
        email=email,
        display_name=display_name,
        password_hash=await asyncio.to_thread(hash_password, hasher, password),
        language=language,
        created_at=now,
    )
    session.add(person)
    try:
        await session.flush()
    except IntegrityError as error:
        # Someone signed up with the same address between the check and the insert.
        raise taken from error
    tx.publish(PersonCreated(person_id=person.id))
    return person


async def start_session(
    tx: Tx,
    person_id: str,
    *,
    now: datetime,
    lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
) -> NewSession:
    """Sign ``person_id`` in on a new session, and forget their sessions that expired."""
    session = tx.session
    await session.execute(
        delete(SessionRecord).where(
            SessionRecord.person_id == person_id, SessionRecord.expires_at <= now
        )
    )
    new = NewSession(
        token=secrets.token_urlsafe(32),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + lifetime,
    )
    session.add(
        SessionRecord(
            id=token_digest(new.token),
            person_id=person_id,
            csrf_token=new.csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=new.expires_at,
        )
    )
    await session.flush()
    return new


# -- log-in (the steps of ``flows.log_in``) -------------------------------------------


async def record_login_attempt(tx: Tx, *, digest: str, ip: str, now: datetime) -> int:
    """Record an attempt as failed (until ``complete_log_in`` says otherwise) and prune
    the address's and the client's attempts past ``ATTEMPT_RETENTION``; returns its id."""
    session = tx.session
    attempt = LoginAttempt(email_digest=digest, ip=ip, at=now, succeeded=False)
    session.add(attempt)
    # Opportunistic pruning, cheap because both conditions have an index.
    await session.execute(
        delete(LoginAttempt).where(
            or_(LoginAttempt.email_digest == digest, LoginAttempt.ip == ip),
            LoginAttempt.at < now - ATTEMPT_RETENTION,
        )
    )
    await session.flush()
    return attempt.id


async def _wait_for(
    session: AsyncSession, condition: ColumnElement[bool], limit: int, now: datetime
) -> float:
    """Seconds this attempt must wait because more than ``limit`` failures matching
    ``condition`` (itself included) are in the window; zero when there are not.

    The wait is until the ``limit``-th newest of them leaves the window: from then on
    a new attempt, counting itself, finds at most ``limit``.
    """
    result = await session.execute(
        select(LoginAttempt.at)
        .where(
            condition,
            LoginAttempt.succeeded == false(),
            LoginAttempt.at > now - LOGIN_WINDOW,
        )
        .order_by(LoginAttempt.at.desc())
        .limit(limit + 1)
    )
    recent = result.scalars().all()
    if len(recent) <= limit:
        return 0.0
    return (recent[limit - 1] + LOGIN_WINDOW - now).total_seconds()


async def refuse_if_rate_limited(
    session: AsyncSession, *, digest: str, ip: str, now: datetime
) -> None:
    """Raise ``LoginRateLimited`` while more than ``MAX_FAILURES_PER_EMAIL`` failures per
    address or ``MAX_FAILURES_PER_IP`` per client (the attempt being made included) are
    in ``LOGIN_WINDOW``."""
    waits = (
        await _wait_for(session, LoginAttempt.email_digest == digest, MAX_FAILURES_PER_EMAIL, now),
        await _wait_for(session, LoginAttempt.ip == ip, MAX_FAILURES_PER_IP, now),
    )
    wait = max(waits)
    if wait > 0:
        raise LoginRateLimited(
            "Too many failed logins; try again later.",
            extra={"retry_after": max(1, math.ceil(wait))},
        )


async def complete_log_in(
    tx: Tx,
    *,
    attempt_id: int,
    person_id: str,
    new_hash: str | None,
    now: datetime,
    lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
) -> tuple[Person, NewSession]:
    """The password was right: mark the attempt a success, keep ``new_hash`` (a rehash
    under the current parameters) if given, and start a session."""
    await tx.session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True)
    )
    person = await tx.session.get(Person, person_id)
    if person is None:  # erased while the password was being checked
        raise InvalidCredentials(WRONG_CREDENTIALS)
    if new_hash is not None:
        person.password_hash = new_hash
    return person, await start_session(tx, person.id, now=now, lifetime=lifetime)


async def prune_login_attempts(tx: Tx, *, now: datetime) -> int:
    """Forget attempts older than ``ATTEMPT_RETENTION`` everywhere; returns how many.

    ``record_login_attempt`` already prunes the address and client it sees; this is for
    a periodic sweep of those never seen again.
    """
    result = await tx.session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPT_RETENTION)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- sessions -------------------------------------------------------------------------


async def check_session(tx: Tx, token: str, *, now: datetime) -> AuthenticatedSession | None:
    """Who holds ``token``, or None when it opens no live session; touches its
    ``last_seen_at`` (at most once a minute) and forgets it once expired.

    ``flows.authenticate`` runs this in a short unit of work of its own (see there why).
    """
    session = tx.session
    session_id = token_digest(token)
    row = (
        await session.execute(
            select(SessionRecord, Person)
            .join(Person, Person.id == SessionRecord.person_id)
            .where(SessionRecord.id == session_id)
        )
    ).one_or_none()
    if row is None:
        return None
    record, person = row
    if record.expires_at <= now:
        await session.execute(
            delete(SessionRecord).where(
                SessionRecord.id == session_id, SessionRecord.expires_at <= now
            )
        )
        return None
    # Writing on every request would turn each read into a write; a minute is precise
    # enough for "last active".
    if now - record.last_seen_at >= LAST_SEEN_RESOLUTION:
        await session.execute(
            update(SessionRecord)
            .where(SessionRecord.id == session_id, SessionRecord.last_seen_at < now)
            .values(last_seen_at=now)
        )
    return AuthenticatedSession(person=person, csrf_token=record.csrf_token, session_id=record.id)


async def valid_sessions(tx: Tx, token_hashes: Collection[str], *, now: datetime) -> set[str]:
    """Which of ``token_hashes`` (session ids, see ``token_digest``) still open a live
    session: not logged out, not expired, their person not erased.

    For holders of many sessions at once (the chat gateway's open sockets): one query,
    and one UPDATE touching ``last_seen_at`` of those live ones last seen a minute or
    more ago, per ``SESSION_CHECK_CHUNK`` ids. Expired sessions are left to
    ``prune_expired_sessions``, so a check that finds nothing due writes nothing.
    """
    session = tx.session
    ids = sorted(set(token_hashes))
    live: set[str] = set()
    due: list[str] = []
    for start in range(0, len(ids), SESSION_CHECK_CHUNK):
        rows = await session.execute(
            select(SessionRecord.id, SessionRecord.last_seen_at)
            .join(Person, Person.id == SessionRecord.person_id)
            .where(
                SessionRecord.id.in_(ids[start : start + SESSION_CHECK_CHUNK]),
                SessionRecord.expires_at > now,
            )
        )
        for session_id, last_seen_at in rows:
            live.add(session_id)
            if now - last_seen_at >= LAST_SEEN_RESOLUTION:
                due.append(session_id)
    for start in range(0, len(due), SESSION_CHECK_CHUNK):
        await session.execute(
            update(SessionRecord)
            .where(
                SessionRecord.id.in_(due[start : start + SESSION_CHECK_CHUNK]),
                SessionRecord.last_seen_at < now,
            )
            .values(last_seen_at=now)
            # Only column rows were loaded: no objects in the session to keep in step.
            .execution_options(synchronize_session=False)
        )
    return live


async def log_out(tx: Tx, token: str) -> None:
    """End the session ``token`` opens (nothing happens when it opens none)."""
    await tx.session.execute(delete(SessionRecord).where(SessionRecord.id == token_digest(token)))


async def log_out_everywhere(tx: Tx, person_id: str) -> None:
    """End every session of ``person_id``."""
    await tx.session.execute(delete(SessionRecord).where(SessionRecord.person_id == person_id))


async def prune_expired_sessions(tx: Tx, *, now: datetime) -> int:
    """Forget every session that has expired; returns how many."""
    result = await tx.session.execute(delete(SessionRecord).where(SessionRecord.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- the person -----------------------------------------------------------------------


async def get_person(session: AsyncSession, person_id: str) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.")
    return person


async def update_profile(
    tx: Tx,
    person_id: str,
    *,
    display_name: str | None = None,
    language: Language | None = None,
) -> Person:
    """Change what is given and keep the rest."""
    person = await get_person(tx.session, person_id)
    if display_name is not None:
        person.display_name = display_name.strip()
    if language is not None:
        person.language = language
    await tx.session.flush()
    return person


async def erase_person(tx: Tx, person_id: str) -> None:
    """Delete the person, their sessions and the login attempts made with their address.

    The last step of "erase everything"; erasing someone already gone does nothing, so
    an interrupted erasure can simply be run again.
    """
    session = tx.session
    person = await session.get(Person, person_id)
    if person is None:
        return
    await log_out_everywhere(tx, person_id)
    await session.execute(
        delete(LoginAttempt).where(LoginAttempt.email_digest == email_digest(person.email))
    )
    await session.delete(person)
    await session.flush()


# -- what other domains may know of people --------------------------------------------

# Person ids as values, or as a query selecting one column of them (a domain's own
# table, say): either way one statement here, and the caller's table stays its own.
PersonIds = Collection[str] | Select[str]


async def display_names(session: AsyncSession, person_ids: PersonIds) -> dict[str, str]:
    """Display names of those of ``person_ids`` who exist, by id, in order of name (then
    id); one query."""
    if not isinstance(person_ids, Select) and not person_ids:
        return {}
    result = await session.execute(
        select(Person.id, Person.display_name)
        .where(Person.id.in_(person_ids))
        .order_by(Person.display_name, Person.id)
    )
    return {person_id: name for person_id, name in result.all()}


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def search_people(
    session: AsyncSession, prefix: str, *, exclude: str, limit: int
) -> list[tuple[str, str]]:
    """Up to ``limit`` people whose display name starts with ``prefix`` (any case) as
    (id, display name), in order of name; never ``exclude``."""
    result = await session.execute(
        select(Person.id, Person.display_name)
        .where(
            func.lower(Person.display_name).like(_like_prefix(prefix.lower()), escape="\\"),
            Person.id != exclude,
        )
        .order_by(Person.display_name, Person.id)
        .limit(limit)
    )
    return [(person_id, name) for person_id, name in result.all()]
