"""Tests of HMAC body signatures and the replay guard."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bankchat import hmac_signing
from bankchat.hmac_signing import (
    FutureTimestamp,
    MalformedSignature,
    ReplayedMessage,
    ReplayGuard,
    ReplayGuardFull,
    SignatureError,
    SignatureMismatch,
    StaleTimestamp,
    sign,
    verify,
)

NOW = 1_800_000_000
secret_texts = st.text(min_size=1, max_size=64)
bodies = st.binary(max_size=2048)


@given(secret=secret_texts, body=bodies, timestamp=st.integers(NOW - 300, NOW + 300))
def test_any_signed_body_verifies(secret: str, body: bytes, timestamp: int) -> None:
    verify(secret, body, sign(secret, body, timestamp), now=NOW)


@given(secret=secret_texts, body=bodies.filter(bool), data=st.data())
def test_any_single_byte_change_of_the_body_fails(
    secret: str, body: bytes, data: st.DataObject
) -> None:
    header = sign(secret, body, NOW)
    position = data.draw(st.integers(0, len(body) - 1))
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != body[position]))
    changed = body[:position] + bytes([replacement]) + body[position + 1 :]
    with pytest.raises(SignatureMismatch):
        verify(secret, changed, header, now=NOW)


@given(secret=secret_texts, body=bodies, data=st.data())
def test_any_single_character_change_of_the_digest_fails(
    secret: str, body: bytes, data: st.DataObject
) -> None:
    header = sign(secret, body, NOW)
    digest_start = header.index("v1=") + 3
    position = data.draw(st.integers(digest_start, len(header) - 1))
    replacement = data.draw(
        st.sampled_from("0123456789abcdef").filter(lambda c: c != header[position])
    )
    changed = header[:position] + replacement + header[position + 1 :]
    with pytest.raises(SignatureMismatch):
        verify(secret, body, changed, now=NOW)


@given(secret=secret_texts, body=bodies, age=st.integers(301, 10**6))
def test_stale_timestamps_fail(secret: str, body: bytes, age: int) -> None:
    with pytest.raises(StaleTimestamp):
        verify(secret, body, sign(secret, body, NOW - age), now=NOW)


@given(secret=secret_texts, body=bodies, ahead=st.integers(301, 10**6))
def test_timestamps_too_far_ahead_fail(secret: str, body: bytes, ahead: int) -> None:
    with pytest.raises(FutureTimestamp):
        verify(secret, body, sign(secret, body, NOW + ahead), now=NOW)


def test_changed_timestamp_fails() -> None:
    header = sign("secret", b"{}", NOW)
    forged = header.replace(f"t={NOW}", f"t={NOW + 1}")
    with pytest.raises(SignatureMismatch):
        verify("secret", b"{}", forged, now=NOW)


def test_other_secret_fails() -> None:
    with pytest.raises(SignatureMismatch):
        verify("other", b"{}", sign("secret", b"{}", NOW), now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"t={NOW}",
        f"v1={'0' * 64}",
        f"t=abc,v1={'0' * 64}",
        f"t={NOW},v1={'0' * 63}",
        f"t={NOW},v1={'G' * 64}",
        f"t={NOW},v0={'0' * 64}",
        f"v1={'0' * 64},t={NOW}",
    ],
)
def test_malformed_headers_fail(header: str) -> None:
    with pytest.raises(MalformedSignature):
        verify("secret", b"{}", header, now=NOW)


def test_every_failure_is_a_signature_error() -> None:
    for error in (
        MalformedSignature,
        SignatureMismatch,
        StaleTimestamp,
        FutureTimestamp,
        ReplayedMessage,
        ReplayGuardFull,
    ):
        assert issubclass(error, SignatureError)


def test_header_carries_the_timestamp_and_a_sha256_hex_digest() -> None:
    timestamp, digest = hmac_signing.parse(sign("secret", b"x", NOW))
    assert timestamp == NOW
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_replay_guard_accepts_a_message_once() -> None:
    guard = ReplayGuard()
    guard.check("evt-1", NOW, now=NOW)
    with pytest.raises(ReplayedMessage):
        guard.check("evt-1", NOW, now=NOW + 299)


def test_replay_guard_accepts_distinct_messages() -> None:
    guard = ReplayGuard()
    guard.check("evt-1", NOW, now=NOW)
    guard.check("evt-2", NOW, now=NOW)
    assert len(guard) == 2


def test_replay_guard_forgets_messages_once_their_signature_expired() -> None:
    guard = ReplayGuard(tolerance=300)
    guard.check("evt-1", NOW, now=NOW)
    guard.check("evt-2", NOW + 400, now=NOW + 400)
    assert len(guard) == 1


def test_replay_guard_remembers_future_dated_messages_until_they_expire() -> None:
    guard = ReplayGuard(tolerance=300)
    guard.check("evt-1", NOW + 300, now=NOW)
    with pytest.raises(ReplayedMessage):
        guard.check("evt-1", NOW + 300, now=NOW + 599)


def test_full_replay_guard_refuses_rather_than_forgets() -> None:
    guard = ReplayGuard(capacity=2)
    guard.check("evt-1", NOW, now=NOW)
    guard.check("evt-2", NOW, now=NOW)
    with pytest.raises(ReplayGuardFull):
        guard.check("evt-3", NOW, now=NOW)
    with pytest.raises(ReplayedMessage):
        guard.check("evt-1", NOW, now=NOW)


@given(ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=50))
def test_replay_guard_refuses_exactly_the_repeats(ids: list[str]) -> None:
    guard = ReplayGuard()
    seen: set[str] = set()
    for message_id in ids:
        if message_id in seen:
            with pytest.raises(ReplayedMessage):
                guard.check(message_id, NOW, now=NOW)
        else:
            guard.check(message_id, NOW, now=NOW)
            seen.add(message_id)
    assert len(guard) == len(seen)


def test_negative_timestamp_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="negative"):
        sign("secret", b"", -1)


REQUEST = hmac_signing.request_context("GET", "/banks/nordbank/partner/v1/webhooks", "rid-1")
context_parts = st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=40)


def test_message_without_context_is_the_timestamp_and_the_body() -> None:
    assert hmac_signing.signed_message(NOW, b'{"a":1}') == f'{NOW}.{{"a":1}}'.encode()


def test_request_message_is_the_timestamp_method_path_request_id_and_body() -> None:
    context = hmac_signing.request_context("post", "/p?q=1", "rid-1")
    message = hmac_signing.signed_message(NOW, b"{}", context)
    assert message == f"{NOW}.POST\n/p?q=1\nrid-1\n{{}}".encode()


@given(secret=secret_texts, body=bodies, parts=st.tuples(context_parts, context_parts))
def test_any_signed_request_verifies_in_its_own_context(
    secret: str, body: bytes, parts: tuple[str, str]
) -> None:
    context = hmac_signing.request_context("GET", *parts)
    verify(secret, body, sign(secret, body, NOW, context), now=NOW, context=context)


@given(
    body=bodies,
    signed=st.tuples(context_parts, context_parts, context_parts),
    sent=st.tuples(context_parts, context_parts, context_parts),
)
def test_signature_does_not_verify_in_any_other_context(
    body: bytes, signed: tuple[str, str, str], sent: tuple[str, str, str]
) -> None:
    assume(signed != sent)
    with pytest.raises(SignatureMismatch):
        verify("secret", body, sign("secret", body, NOW, signed), now=NOW, context=sent)


def test_signature_for_one_method_does_not_verify_for_another() -> None:
    post = hmac_signing.request_context("POST", *REQUEST[1:])
    with pytest.raises(SignatureMismatch):
        verify("secret", b"", sign("secret", b"", NOW, REQUEST), now=NOW, context=post)


def test_signature_for_one_path_does_not_verify_for_another() -> None:
    other = hmac_signing.request_context("GET", "/banks/suedbank/partner/v1/webhooks", "rid-1")
    with pytest.raises(SignatureMismatch):
        verify("secret", b"", sign("secret", b"", NOW, REQUEST), now=NOW, context=other)


def test_request_signature_does_not_verify_without_its_context() -> None:
    with pytest.raises(SignatureMismatch):
        verify("secret", b"", sign("secret", b"", NOW, REQUEST), now=NOW)


def test_path_and_body_cannot_trade_bytes() -> None:
    signed = hmac_signing.request_context("POST", "/cards/a.b", "rid-1")
    shifted = hmac_signing.request_context("POST", "/cards/a", "rid-1")
    header = sign("secret", b"c", NOW, signed)
    with pytest.raises(SignatureMismatch):
        verify("secret", b"b.c", header, now=NOW, context=shifted)


def test_context_part_with_a_newline_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="newline"):
        sign("secret", b"", NOW, ("GET", "/p\nq", "rid-1"))


def test_context_part_with_a_newline_never_verifies() -> None:
    header = sign("secret", b"", NOW, ("GET", "/p", "q"))
    with pytest.raises(SignatureMismatch):
        verify("secret", b"", header, now=NOW, context=("GET", "/p\nq"))
