"""Grants: what a person allowed for each linked account (scopes, purposes, until when),
recording and ending them, and the decision whether a grant allows a read.

A revoked grant stays as a tombstone, so a later read is refused with a reason; revoking
deletes the account's stored data in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.vault import audit
from bankchat.vault.denials import AccessDenied, DenialReason
from bankchat.vault.models import VaultAccount, VaultBalances, VaultGrant, VaultTransaction
from bankchat.vault.purposes import Purpose

SCOPES = frozenset({"balances", "transactions"})
MAX_REASON_LENGTH = 200


def require_purpose(purpose: object) -> Purpose:
    if not isinstance(purpose, Purpose):
        raise TypeError(f"purpose must be a Purpose, not {type(purpose).__name__}")
    return purpose


def _grant_problem(
    grant: VaultGrant | None, scope: str | None, purpose: Purpose, today: date
) -> DenialReason | None:
    """Why ``grant`` does not allow reading ``scope`` for ``purpose``; None if it does."""
    if grant is None:
        return DenialReason.NO_GRANT
    if grant.revoked_at is not None:
        return DenialReason.REVOKED
    if grant.valid_until < today:
        return DenialReason.EXPIRED
    if scope is not None and scope not in grant.scopes:
        return DenialReason.SCOPE_NOT_GRANTED
    if purpose.value not in grant.purposes:
        return DenialReason.PURPOSE_NOT_GRANTED
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    """The grants a read may use, or why it is refused."""

    allowed: list[VaultGrant]
    reason: DenialReason | None = None
    account_id: str | None = None


def decide(
    grants: dict[str, VaultGrant],
    requested: list[str] | None,
    scope: str | None,
    purpose: Purpose,
    today: date,
) -> Decision:
    if requested is not None:
        allowed = []
        for account_id in requested:
            grant = grants.get(account_id)
            problem = _grant_problem(grant, scope, purpose, today)
            if problem is not None:
                return Decision([], problem, account_id)
            assert grant is not None
            allowed.append(grant)
        return Decision(allowed)
    # Revoked and expired grants are accounts the person no longer shares: they are left
    # out quietly. Only live grants that all refuse this read make it a refusal.
    live = {
        account_id: grant
        for account_id, grant in sorted(grants.items())
        if grant.revoked_at is None and grant.valid_until >= today
    }
    problems = {
        account_id: _grant_problem(grant, scope, purpose, today)
        for account_id, grant in live.items()
    }
    allowed = [live[account_id] for account_id, problem in problems.items() if problem is None]
    if live and not allowed:
        reasons = {problem for problem in problems.values() if problem is not None}
        reason = reasons.pop() if len(reasons) == 1 else DenialReason.NO_GRANT_ALLOWS_READ
        return Decision([], reason)
    return Decision(allowed)


class Grants:
    """Records, ends and checks the person's grants inside the caller's transaction."""

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    async def grant(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        account_id: str,
        bank_id: str,
        scopes: frozenset[str],
        purposes: frozenset[Purpose],
        valid_until: date,
    ) -> None:
        """Record (or renew) what the person allowed for an account; clears a revocation."""
        unknown = set(scopes) - SCOPES
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        for purpose in purposes:
            require_purpose(purpose)
        existing = await session.get(VaultGrant, account_id)
        if existing is None:
            session.add(
                VaultGrant(
                    account_id=account_id,
                    person_id=person_id,
                    bank_id=bank_id,
                    scopes=sorted(scopes),
                    purposes=sorted(p.value for p in purposes),
                    valid_until=valid_until,
                    revoked_at=None,
                    revoked_reason=None,
                    created_at=self._clock(),
                )
            )
            return
        if existing.person_id != person_id:
            raise ValueError(f"account {account_id} is granted by another person")
        existing.bank_id = bank_id
        existing.scopes = sorted(scopes)
        existing.purposes = sorted(p.value for p in purposes)
        existing.valid_until = valid_until
        existing.revoked_at = None
        existing.revoked_reason = None

    async def revoke(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        account_ids: Sequence[str],
        reason: str,
        actor: str,
    ) -> None:
        """End the grants, delete the accounts' stored data, keep the grants as tombstones."""
        if len(reason) > MAX_REASON_LENGTH:
            raise ValueError(f"reason must be at most {MAX_REASON_LENGTH} characters")
        now = self._clock()
        grants = (
            await session.scalars(
                select(VaultGrant).where(
                    VaultGrant.person_id == person_id,
                    VaultGrant.account_id.in_(list(account_ids)),
                )
            )
        ).all()
        for grant in grants:
            grant.revoked_at = now
            grant.revoked_reason = reason
        owned = sorted(grant.account_id for grant in grants)
        for model in (VaultAccount, VaultBalances, VaultTransaction):
            await session.execute(
                delete(model).where(model.person_id == person_id, model.account_id.in_(owned))
            )
        await audit.append(
            session,
            person_id=person_id,
            actor=actor,
            action="revoke",
            purpose=None,
            what={
                "accounts": owned,
                "banks": sorted({grant.bank_id for grant in grants}),
                "reason": reason,
            },
            now=now,
        )

    async def writable_grant(
        self, session: AsyncSession, person_id: str, account_id: str
    ) -> VaultGrant:
        """The person's unrevoked grant for the account: no grant, no storing."""
        grant = await session.get(VaultGrant, account_id)
        if grant is None or grant.person_id != person_id:
            raise AccessDenied("bank data", DenialReason.NO_GRANT, account_id)
        if grant.revoked_at is not None:
            raise AccessDenied("bank data", DenialReason.REVOKED, account_id)
        return grant
