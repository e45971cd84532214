"""The identity flows that run in several short units of work on purpose: logging in
(an attempt is committed before the password is checked) and authenticating a request
(its bookkeeping commits before the request's own transaction starts).

A flow is a caller in the unit-of-work sense: it opens its units through ``units``
(``Platform.unit_of_work``), and the service functions it calls write through them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from bankchat.identity import service
from bankchat.identity.models import Person
from bankchat.identity.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from bankchat.identity.service import (
    DEFAULT_SESSION_LIFETIME,
    IP_MAX_LENGTH,
    WRONG_CREDENTIALS,
    AuthenticatedSession,
    InvalidCredentials,
    NewSession,
)
from bankchat.uow import Tx

# Opens one unit of work (``Platform.unit_of_work``).
Units = Callable[[], AbstractAsyncContextManager[Tx]]


async def log_in(
    units: Units,
    *,
    email: str,
    password: str,
    ip: str,
    hasher: PasswordHasher,
    now: datetime,
    lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
) -> tuple[Person, NewSession]:
    """Check the credentials and start a session.

    At most ``MAX_FAILURES_PER_EMAIL`` failures per address and ``MAX_FAILURES_PER_IP``
    per client address are allowed in ``LOGIN_WINDOW``; the limit is checked before the
    password and answers the same whether the address has an account or not.

    Every attempt is first recorded as a failure in a unit of work of its own, committed
    before the limit is counted, and marked a success only once the password is right.
    So attempts made in parallel cannot all pass the check together: the k-th attempt
    to commit counts at least k failures, and at most the limit reach the password. A
    refused attempt stays recorded too, so hammering while locked out keeps one locked
    out.
    """
    email = service.normalise_email(email)
    digest = service.email_digest(email)
    ip = ip[:IP_MAX_LENGTH]
    async with units() as tx:
        attempt_id = await service.record_login_attempt(tx, digest=digest, ip=ip, now=now)
    async with units() as tx:
        await service.refuse_if_rate_limited(tx.session, digest=digest, ip=ip, now=now)
        person = await service.find_person_by_email(tx.session, email)

    # Hashing is slow on purpose: keep it outside any transaction and off the event loop.
    if person is None:
        # As slow as checking a real password, so timing does not tell who has an account.
        await asyncio.to_thread(verify_password, hasher, dummy_hash(hasher), password)
        succeeded = False
    else:
        succeeded = await asyncio.to_thread(verify_password, hasher, person.password_hash, password)
    if person is None or not succeeded:
        # One answer for an unknown address and a wrong password: never say which.
        raise InvalidCredentials(WRONG_CREDENTIALS)

    new_hash = (
        await asyncio.to_thread(hash_password, hasher, password)
        if needs_rehash(hasher, person.password_hash)
        else None
    )
    async with units() as tx:
        return await service.complete_log_in(
            tx,
            attempt_id=attempt_id,
            person_id=person.id,
            new_hash=new_hash,
            now=now,
            lifetime=lifetime,
        )


async def authenticate(units: Units, token: str, *, now: datetime) -> AuthenticatedSession | None:
    """Who holds ``token``, or None when it opens no live session.

    Runs in a short unit of work of its own, never in the caller's: its bookkeeping
    writes (touching ``last_seen_at``, forgetting an expired session) left pending in a
    request's session would be flushed by the request's next query and hold SQLite's
    write lock until the request ends, so any other transaction the request opens (the
    vault's, for one) would wait for it and fail. The person comes back detached;
    routes load what they change through their own session.
    """
    async with units() as tx:
        return await service.check_session(tx, token, now=now)
