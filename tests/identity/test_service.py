"""The identity service on SQLite and PostgreSQL: sign-up, log-in and its rate limit,
sessions, profile changes and erasure."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat.bus import InProcessBus
from bankchat.db import Base
from bankchat.errors import NotFound
from bankchat.identity import flows, service
from bankchat.identity.models import LoginAttempt, Person, SessionRecord
from bankchat.identity.service import (
    EmailTaken,
    InvalidCredentials,
    LoginRateLimited,
    WeakPassword,
    email_digest,
    normalise_email,
    token_digest,
)
from bankchat.uow import Tx, unit_of_work
from tests.identity.conftest import PASSWORD, Clock

Sessions = async_sessionmaker[AsyncSession]
IP = "192.0.2.10"
WRONG_PASSWORD = "wrong password 123"


def unit(sessions: Sessions) -> AbstractAsyncContextManager[Tx]:
    return unit_of_work(sessions, InProcessBus())


def units(sessions: Sessions) -> flows.Units:
    return lambda: unit(sessions)


async def new_person(
    sessions: Sessions, clock: Clock, hasher: PasswordHasher, email: str = "anna@example.org"
) -> Person:
    async with unit_of_work(sessions, InProcessBus()) as tx:
        return await service.sign_up(
            tx,
            email=email,
            display_name="Anna Schmidt",
            password=PASSWORD,
            language="de",
            hasher=hasher,
            now=clock(),
        )


async def attempt(
    sessions: Sessions,
    clock: Clock,
    hasher: PasswordHasher,
    *,
    email: str = "anna@example.org",
    password: str = WRONG_PASSWORD,
    ip: str = IP,
) -> tuple[Person, service.NewSession]:
    return await flows.log_in(
        units(sessions), email=email, password=password, ip=ip, hasher=hasher, now=clock()
    )


async def fail(sessions: Sessions, clock: Clock, hasher: PasswordHasher, **kwargs: str) -> None:
    with pytest.raises(InvalidCredentials):
        await attempt(sessions, clock, hasher, **kwargs)


async def count(sessions: Sessions, model: type[Base], *conditions: ColumnElement[bool]) -> int:
    async with sessions() as session:
        statement = select(func.count()).select_from(model).where(*conditions)
        return int((await session.execute(statement)).scalar_one())


# -- sign-up --------------------------------------------------------------------------


async def test_sign_up_stores_the_normalised_email_and_an_argon2id_hash(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher, email="  Anna@Example.ORG ")
    async with sessions() as session:
        stored = await service.get_person(session, person.id)
    assert stored.email == "anna@example.org"
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert stored.created_at == clock()


async def test_sign_up_with_a_taken_email_in_other_case_is_refused(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    with pytest.raises(EmailTaken):
        await new_person(sessions, clock, light_hasher, email="ANNA@example.org")


async def test_sign_up_losing_a_race_for_the_email_is_email_taken(
    sessions: Sessions,
    clock: Clock,
    light_hasher: PasswordHasher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await new_person(sessions, clock, light_hasher)

    async def not_there_yet(_session: AsyncSession, _email: str) -> None:
        return None

    # The other sign-up commits between this one's check and its insert.
    monkeypatch.setattr(service, "find_person_by_email", not_there_yet)
    with pytest.raises(EmailTaken):
        await new_person(sessions, clock, light_hasher)
    assert await count(sessions, Person) == 1


async def test_sign_up_with_a_weak_password_stores_nothing(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    with pytest.raises(WeakPassword) as refused:
        async with unit_of_work(sessions, InProcessBus()) as tx:
            await service.sign_up(
                tx,
                email="anna@example.org",
                display_name="Anna",
                password="passwort1",
                language="en",
                hasher=light_hasher,
                now=clock(),
            )
    assert refused.value.extra == {"reasons": ["too_short", "too_common"]}
    assert refused.value.status == 422
    assert await count(sessions, Person) == 0


# -- log-in ---------------------------------------------------------------------------


async def test_log_in_starts_a_session_storing_only_the_token_digest(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    signed_in, new = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    assert signed_in.id == person.id
    assert new.expires_at == clock() + service.DEFAULT_SESSION_LIFETIME
    async with sessions() as session:
        record = await session.get(SessionRecord, token_digest(new.token))
        assert record is not None
        assert await session.get(SessionRecord, new.token) is None
    assert record.csrf_token == new.csrf_token


async def test_log_in_accepts_the_email_in_any_case(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    signed_in, _ = await attempt(
        sessions, clock, light_hasher, email=" ANNA@example.org", password=PASSWORD
    )
    assert signed_in.id == person.id


async def test_wrong_password_and_unknown_email_fail_alike(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    with pytest.raises(InvalidCredentials) as wrong_password:
        await attempt(sessions, clock, light_hasher)
    with pytest.raises(InvalidCredentials) as unknown_email:
        await attempt(sessions, clock, light_hasher, email="nobody@example.org", password=PASSWORD)
    assert str(wrong_password.value) == str(unknown_email.value)
    assert wrong_password.value.code == unknown_email.value.code == "INVALID_CREDENTIALS"


async def test_failed_attempts_are_recorded_although_log_in_raises(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    await fail(sessions, clock, light_hasher)
    await fail(sessions, clock, light_hasher, email="nobody@example.org")
    assert await count(sessions, LoginAttempt, LoginAttempt.succeeded.is_(False)) == 2
    assert await count(sessions, LoginAttempt, LoginAttempt.ip == IP) == 2


async def test_attempts_keep_a_digest_not_the_email(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await fail(sessions, clock, light_hasher, email="Nobody@Example.org")
    async with sessions() as session:
        stored = (await session.execute(select(LoginAttempt))).scalar_one()
    assert stored.email_digest == email_digest("nobody@example.org")
    assert "nobody" not in stored.email_digest


async def test_sixth_attempt_within_the_window_is_rate_limited_even_with_the_right_password(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    for _ in range(service.MAX_FAILURES_PER_EMAIL):
        await fail(sessions, clock, light_hasher)
        clock.advance(timedelta(minutes=1))
    with pytest.raises(LoginRateLimited) as limited:
        await attempt(sessions, clock, light_hasher, password=PASSWORD)
    # The refused attempt counts too, so the next one is allowed once only four of the
    # failures before it remain: when the second (4 minutes ago) leaves the window.
    assert limited.value.extra == {"retry_after": 660}
    assert limited.value.status == 429


async def test_log_in_is_allowed_again_when_retry_after_has_passed(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    for _ in range(service.MAX_FAILURES_PER_EMAIL):
        await fail(sessions, clock, light_hasher)
        clock.advance(timedelta(minutes=1))
    with pytest.raises(LoginRateLimited) as limited:
        await attempt(sessions, clock, light_hasher, password=PASSWORD)
    clock.advance(timedelta(seconds=limited.value.extra["retry_after"]))
    signed_in, _ = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    assert signed_in.id == person.id


async def test_rate_limit_answers_the_same_for_an_unknown_email(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    for _ in range(service.MAX_FAILURES_PER_EMAIL):
        await fail(sessions, clock, light_hasher, email="nobody@example.org")
    with pytest.raises(LoginRateLimited) as limited:
        await attempt(sessions, clock, light_hasher, email="nobody@example.org")
    assert limited.value.extra == {"retry_after": 900}


async def test_rate_limited_attempts_are_recorded_as_failures(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    for _ in range(service.MAX_FAILURES_PER_EMAIL):
        await fail(sessions, clock, light_hasher)
    for _ in range(3):
        with pytest.raises(LoginRateLimited):
            await attempt(sessions, clock, light_hasher)
    failures = LoginAttempt.succeeded.is_(False)
    assert await count(sessions, LoginAttempt, failures) == service.MAX_FAILURES_PER_EMAIL + 3


async def test_hammering_while_locked_out_keeps_one_locked_out(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    for _ in range(service.MAX_FAILURES_PER_EMAIL):
        await fail(sessions, clock, light_hasher)
    for _ in range(10):
        clock.advance(timedelta(minutes=2))
        with pytest.raises(LoginRateLimited):
            await attempt(sessions, clock, light_hasher)
    # The first failures left the window 5 minutes ago; the refused attempts keep it full.
    with pytest.raises(LoginRateLimited):
        await attempt(sessions, clock, light_hasher, password=PASSWORD)


async def test_parallel_wrong_passwords_reach_the_password_check_at_most_limit_times(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    outcomes = await asyncio.gather(
        *(attempt(sessions, clock, light_hasher) for _ in range(20)), return_exceptions=True
    )
    wrong = sum(isinstance(outcome, InvalidCredentials) for outcome in outcomes)
    limited = sum(isinstance(outcome, LoginRateLimited) for outcome in outcomes)
    assert wrong <= service.MAX_FAILURES_PER_EMAIL
    assert limited == len(outcomes) - wrong


async def test_a_successful_log_in_is_recorded_as_a_success_only(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    await attempt(sessions, clock, light_hasher, password=PASSWORD)
    assert await count(sessions, LoginAttempt) == 1
    assert await count(sessions, LoginAttempt, LoginAttempt.succeeded.is_(True)) == 1


async def test_log_in_works_again_once_failures_leave_the_window(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    for _ in range(service.MAX_FAILURES_PER_EMAIL):
        await fail(sessions, clock, light_hasher)
    clock.advance(service.LOGIN_WINDOW)
    signed_in, _ = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    assert signed_in.id == person.id


async def test_a_success_clears_no_failures(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    for _ in range(service.MAX_FAILURES_PER_EMAIL - 1):
        await fail(sessions, clock, light_hasher)
    await attempt(sessions, clock, light_hasher, password=PASSWORD)
    await fail(sessions, clock, light_hasher)
    with pytest.raises(LoginRateLimited):
        await attempt(sessions, clock, light_hasher, password=PASSWORD)
    assert await count(sessions, LoginAttempt, LoginAttempt.succeeded.is_(True)) == 1


async def test_many_failures_from_one_ip_limit_every_email_from_it(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await new_person(sessions, clock, light_hasher)
    for n in range(service.MAX_FAILURES_PER_IP):
        await fail(sessions, clock, light_hasher, email=f"guess{n % 10}@example.org")
    with pytest.raises(LoginRateLimited):
        await attempt(sessions, clock, light_hasher, password=PASSWORD)
    signed_in, _ = await attempt(
        sessions, clock, light_hasher, password=PASSWORD, ip="198.51.100.7"
    )
    assert signed_in.email == "anna@example.org"


async def test_log_in_rehashes_a_password_hashed_at_another_cost(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    signed_in, _ = await attempt(sessions, clock, stronger, password=PASSWORD)
    assert "$m=2048,t=2,p=1$" in signed_in.password_hash
    async with sessions() as session:
        stored = await service.get_person(session, person.id)
    assert not stronger.check_needs_rehash(stored.password_hash)
    assert stronger.verify(stored.password_hash, PASSWORD)


async def test_log_in_prunes_day_old_attempts_of_that_email_and_ip(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await fail(sessions, clock, light_hasher)
    await fail(sessions, clock, light_hasher, email="other@example.org", ip="198.51.100.7")
    clock.advance(service.ATTEMPT_RETENTION + timedelta(seconds=1))
    await fail(sessions, clock, light_hasher)
    assert await count(sessions, LoginAttempt) == 2
    assert await count(sessions, LoginAttempt, LoginAttempt.at == clock()) == 1


async def test_prune_login_attempts_forgets_old_ones_everywhere(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await fail(sessions, clock, light_hasher, email="old@example.org", ip="198.51.100.7")
    clock.advance(service.ATTEMPT_RETENTION + timedelta(seconds=1))
    await fail(sessions, clock, light_hasher)
    async with unit(sessions) as tx:
        assert await service.prune_login_attempts(tx, now=clock()) == 1
    assert await count(sessions, LoginAttempt) == 1


# -- sessions -------------------------------------------------------------------------


async def signed_in(
    sessions: Sessions, clock: Clock, hasher: PasswordHasher
) -> tuple[Person, service.NewSession]:
    await new_person(sessions, clock, hasher)
    return await attempt(sessions, clock, hasher, password=PASSWORD)


async def test_authenticate_names_the_person_and_csrf_token(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person, new = await signed_in(sessions, clock, light_hasher)
    found = await flows.authenticate(units(sessions), new.token, now=clock())
    assert found is not None
    assert found.person.id == person.id
    assert found.csrf_token == new.csrf_token
    assert found.session_id == token_digest(new.token)


async def test_authenticate_refuses_an_unknown_token(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await signed_in(sessions, clock, light_hasher)
    assert await flows.authenticate(units(sessions), "made-up", now=clock()) is None


async def test_expired_session_is_refused_and_deleted(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, new = await signed_in(sessions, clock, light_hasher)
    clock.advance(service.DEFAULT_SESSION_LIFETIME)
    assert await flows.authenticate(units(sessions), new.token, now=clock()) is None
    assert await count(sessions, SessionRecord) == 0


async def test_last_seen_is_touched_at_most_once_a_minute(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, new = await signed_in(sessions, clock, light_hasher)
    started = clock()

    async def last_seen() -> object:
        await flows.authenticate(units(sessions), new.token, now=clock())
        async with sessions() as session:
            record = await session.get(SessionRecord, token_digest(new.token))
            assert record is not None
            return record.last_seen_at

    clock.advance(timedelta(seconds=59))
    assert await last_seen() == started
    clock.advance(timedelta(seconds=1))
    assert await last_seen() == clock()


async def test_log_out_ends_only_that_session(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, first = await signed_in(sessions, clock, light_hasher)
    _, second = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    async with unit(sessions) as tx:
        await service.log_out(tx, first.token)
    assert await flows.authenticate(units(sessions), first.token, now=clock()) is None
    assert await flows.authenticate(units(sessions), second.token, now=clock()) is not None


async def test_log_out_everywhere_ends_every_session_of_the_person(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person, _ = await signed_in(sessions, clock, light_hasher)
    await attempt(sessions, clock, light_hasher, password=PASSWORD)
    other = await new_person(sessions, clock, light_hasher, email="ben@example.org")
    await attempt(sessions, clock, light_hasher, email="ben@example.org", password=PASSWORD)
    async with unit(sessions) as tx:
        await service.log_out_everywhere(tx, person.id)
    assert await count(sessions, SessionRecord) == 1
    assert await count(sessions, SessionRecord, SessionRecord.person_id == other.id) == 1


async def test_a_new_session_clears_the_persons_expired_ones(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, old = await signed_in(sessions, clock, light_hasher)
    clock.advance(service.DEFAULT_SESSION_LIFETIME)
    _, new = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    async with sessions() as session:
        assert await session.get(SessionRecord, token_digest(old.token)) is None
        assert await session.get(SessionRecord, token_digest(new.token)) is not None


async def test_prune_expired_sessions_forgets_only_expired_ones(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    await signed_in(sessions, clock, light_hasher)
    clock.advance(service.DEFAULT_SESSION_LIFETIME)
    await new_person(sessions, clock, light_hasher, email="ben@example.org")
    await attempt(sessions, clock, light_hasher, email="ben@example.org", password=PASSWORD)
    async with unit(sessions) as tx:
        assert await service.prune_expired_sessions(tx, now=clock()) == 1
    assert await count(sessions, SessionRecord) == 1


async def test_valid_sessions_names_only_sessions_still_live(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, live = await signed_in(sessions, clock, light_hasher)
    _, logged_out = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    ben = await new_person(sessions, clock, light_hasher, email="ben@example.org")
    carl = await new_person(sessions, clock, light_hasher, email="carl@example.org")
    async with unit(sessions) as tx:
        await service.log_out(tx, logged_out.token)
        expiring = await service.start_session(tx, ben.id, now=clock(), lifetime=timedelta(hours=1))
        erased = await service.start_session(tx, carl.id, now=clock())
        await service.erase_person(tx, carl.id)
    clock.advance(timedelta(hours=1))
    tokens = (live, logged_out, expiring, erased)
    asked = [token_digest(new.token) for new in tokens] + [token_digest("made-up")]
    async with unit(sessions) as tx:
        found = await service.valid_sessions(tx, asked, now=clock())
    assert found == {token_digest(live.token)}


async def test_valid_sessions_touches_last_seen_only_of_sessions_due(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, early = await signed_in(sessions, clock, light_hasher)
    clock.advance(timedelta(seconds=30))
    _, late = await attempt(sessions, clock, light_hasher, password=PASSWORD)
    late_start = clock()
    clock.advance(timedelta(seconds=30))
    ids = [token_digest(early.token), token_digest(late.token)]
    async with unit(sessions) as tx:
        await service.valid_sessions(tx, ids, now=clock())
    async with sessions() as session:
        seen = [(await session.get(SessionRecord, id_)) for id_ in ids]
    assert [record.last_seen_at for record in seen if record] == [clock(), late_start]


async def test_valid_sessions_asks_in_chunks_of_500(
    db_engine: AsyncEngine, sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    _, live = await signed_in(sessions, clock, light_hasher)
    # Made-up ids that sort before the real one, so it is found in the last chunk.
    asked = [f"{n:064x}" for n in range(1200)] + [token_digest(live.token)]
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db_engine.sync_engine, "before_cursor_execute", record)
    try:
        async with unit(sessions) as tx:
            found = await service.valid_sessions(tx, asked, now=clock())
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", record)
    assert found == {token_digest(live.token)}
    assert len(statements) == 3


# -- the person -----------------------------------------------------------------------


async def test_update_profile_changes_only_what_is_given(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    async with unit(sessions) as tx:
        await service.update_profile(tx, person.id, language="en")
    async with unit(sessions) as tx:
        updated = await service.update_profile(tx, person.id, display_name="  Anna S. ")
    assert (updated.display_name, updated.language) == ("Anna S.", "en")


async def test_get_person_of_an_unknown_id_is_not_found(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(NotFound):
            await service.get_person(session, "00000000-0000-0000-0000-000000000000")


async def test_erase_person_deletes_them_their_sessions_and_their_attempts(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person, _ = await signed_in(sessions, clock, light_hasher)
    await fail(sessions, clock, light_hasher)
    await new_person(sessions, clock, light_hasher, email="ben@example.org")
    await attempt(sessions, clock, light_hasher, email="ben@example.org", password=PASSWORD)
    async with unit(sessions) as tx:
        await service.erase_person(tx, person.id)
    assert await count(sessions, Person) == 1
    assert await count(sessions, SessionRecord, SessionRecord.person_id == person.id) == 0
    anna = email_digest("anna@example.org")
    assert await count(sessions, LoginAttempt, LoginAttempt.email_digest == anna) == 0
    assert await count(sessions, LoginAttempt) == 1
    assert await count(sessions, SessionRecord) == 1


async def test_erasing_someone_already_gone_does_nothing(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    person = await new_person(sessions, clock, light_hasher)
    for _ in range(2):
        async with unit(sessions) as tx:
            await service.erase_person(tx, person.id)
    assert await count(sessions, Person) == 0


# -- what other domains may know of people --------------------------------------------


async def test_display_names_of_ids_or_of_a_query_by_name(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    anna = await new_person(sessions, clock, light_hasher)
    ben = await new_person(sessions, clock, light_hasher, email="ben@example.org")
    async with unit(sessions) as tx:
        await service.update_profile(tx, ben.id, display_name="Ben")
    gone = "00000000-0000-0000-0000-000000000000"
    async with sessions() as session:
        by_ids = await service.display_names(session, [anna.id, ben.id, gone])
        none = await service.display_names(session, [])
        by_query = await service.display_names(
            session, select(Person.id).where(Person.email == "ben@example.org")
        )
    assert list(by_ids.items()) == [(anna.id, "Anna Schmidt"), (ben.id, "Ben")]
    assert none == {}
    assert by_query == {ben.id: "Ben"}


async def test_search_people_by_prefix_in_any_case_never_the_one_asking(
    sessions: Sessions, clock: Clock, light_hasher: PasswordHasher
) -> None:
    anna = await new_person(sessions, clock, light_hasher)
    annika = await new_person(sessions, clock, light_hasher, email="annika@example.org")
    ben = await new_person(sessions, clock, light_hasher, email="ben@example.org")
    async with unit(sessions) as tx:
        await service.update_profile(tx, annika.id, display_name="annika_b")
        await service.update_profile(tx, ben.id, display_name="Ben")
    async with sessions() as session:
        found = await service.search_people(session, "ANN", exclude=anna.id, limit=20)
        literal = await service.search_people(session, "annika%", exclude=anna.id, limit=20)
        capped = await service.search_people(session, "a", exclude="nobody", limit=1)
    assert found == [(annika.id, "annika_b")]
    assert literal == []
    assert capped == [(anna.id, "Anna Schmidt")]


# -- normalising addresses ------------------------------------------------------------


@given(st.text(max_size=300))
def test_normalising_an_email_is_idempotent_and_never_raises(email: str) -> None:
    once = normalise_email(email)
    assert normalise_email(once) == once
    assert email_digest(email) == email_digest(once)


@given(st.emails())
def test_emails_differing_in_case_and_spaces_share_a_digest(email: str) -> None:
    assert email_digest(f"  {email.upper()}\t") == email_digest(email.lower())
