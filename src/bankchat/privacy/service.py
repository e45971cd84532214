"""Privacy-center actions that span domains: the export of everything about a person and
erasing everything. Each step is the owning domain's service function."""

from __future__ import annotations

from typing import Any

from bankchat.banking import flows
from bankchat.banking import service as banking
from bankchat.errors import DomainError
from bankchat.identity import service as identity
from bankchat.messaging import service as messaging
from bankchat.platform import Platform
from bankchat.uow import Tx


class ConfirmationMismatch(DomainError):
    status = 422
    code = "CONFIRMATION_MISMATCH"


async def export_everything(platform: Platform, tx: Tx, person_id: str) -> dict[str, Any]:
    """All the platform holds about the person, machine-readable (an audited read)."""
    session = tx.session
    person = await identity.get_person(session, person_id)
    connections = await banking.list_connections(session, person_id)
    bank_data = await platform.vault.export_person(
        tx, person_id=person_id, actor=banking.person_actor(person_id)
    )
    log = await platform.vault.access_log(session, person_id=person_id, limit=None)
    return {
        "format": "bankchat-export/1",
        "exportedAt": platform.clock().isoformat(),
        "person": {
            "id": person.id,
            "email": person.email,
            "displayName": person.display_name,
            "language": person.language,
            "createdAt": person.created_at.isoformat(),
        },
        "connections": [
            {
                "id": c.id,
                "bankId": c.bank_id,
                "status": c.status,
                "scopes": c.scopes,
                "purposes": c.purposes,
                "validUntil": c.valid_until.isoformat(),
                "frequencyPerDay": c.frequency_per_day,
                "authorisedAt": c.authorised_at.isoformat(),
                "revokedAt": c.revoked_at.isoformat() if c.revoked_at else None,
                "revokedBy": c.revoked_by,
                "accounts": [a.id for a in c.accounts],
            }
            for c in connections
        ],
        "bankData": bank_data,
        "accessLog": [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "purpose": e.purpose.value if e.purpose else None,
                "what": e.what,
                "hash": e.entry_hash,
            }
            for e in log
        ],
    }


async def erase_everything(
    platform: Platform, tx: Tx, person_id: str, *, confirm_email: str
) -> None:
    """End every connection (at the banks once ``tx`` commits), shred the data key,
    delete the person.

    The audit chain keeps its entries (ids and codes only), so it still verifies and
    still shows that the data was erased.
    """
    session = tx.session
    person = await identity.get_person(session, person_id)
    if identity.normalise_email(confirm_email) != person.email:
        raise ConfirmationMismatch("Type your email address to confirm erasing everything.")
    await flows.erase_person(platform, tx, person_id)
    await platform.vault.erase_person(
        tx, person_id=person_id, actor=banking.person_actor(person_id)
    )
    await messaging.forget_person(tx, person_id)
    await identity.erase_person(tx, person_id)
