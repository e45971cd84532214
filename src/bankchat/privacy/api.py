"""HTTP routes of the privacy center: connections with what they share, the access log
in plain words, the data export, and erasing everything."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from bankchat.api_deps import PlatformDep, SessionDep, TxDep
from bankchat.banking import service as banking
from bankchat.banking.api import connection_out
from bankchat.errors import problem_responses
from bankchat.identity.deps import CSRF_COOKIE, SESSION_COOKIE, CurrentPerson
from bankchat.privacy import access_log, service
from bankchat.privacy.schemas import (
    AccessLogEntryOut,
    AccessLogOut,
    EraseRequest,
    PrivacyConnectionOut,
    SharedAccountOut,
)
from bankchat.vault.purposes import Purpose

router = APIRouter(prefix="/privacy", tags=["privacy center"])

_PROBLEMS = problem_responses(
    {
        401: "Not logged in (NOT_AUTHENTICATED).",
        403: "CSRF token missing or wrong (CSRF_FAILED).",
    }
)
_INVALID = problem_responses({422: "Invalid request (VALIDATION_FAILED)."})


@router.get("/connections", response_model=list[PrivacyConnectionOut], responses=_PROBLEMS)
async def connections(
    me: CurrentPerson, platform: PlatformDep, tx: TxDep
) -> list[PrivacyConnectionOut]:
    """Every connection with its scopes, purposes, expiry and the accounts it shares."""
    person_id = me.person.id
    rows = await banking.list_connections(tx.session, person_id)
    details = {}
    if any(banking.is_valid(c) for c in rows):
        details = {
            a.account_id: a
            for a in await platform.vault.read_accounts(
                tx,
                person_id=person_id,
                actor=banking.person_actor(person_id),
                purpose=Purpose.USER_REQUEST,
            )
        }
    result = []
    for connection in rows:
        shared = [details[a.id] for a in connection.accounts if a.id in details]
        result.append(
            PrivacyConnectionOut(
                **connection_out(platform, connection).model_dump(),
                accounts=[
                    SharedAccountOut(
                        id=a.account_id,
                        kind=a.kind,
                        name=a.name,
                        iban=a.iban,
                        masked_pan=a.masked_pan,
                        currency=a.currency,
                    )
                    for a in shared
                ],
            )
        )
    return result


@router.get("/access-log", response_model=AccessLogOut, responses={**_PROBLEMS, **_INVALID})
async def access_log_route(
    me: CurrentPerson,
    platform: PlatformDep,
    session: SessionDep,
    lang: Annotated[Literal["de", "en"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> AccessLogOut:
    """Who read what and why, newest first, in the person's language."""
    language = lang or me.person.language
    entries = await platform.vault.access_log(
        session, person_id=me.person.id, limit=limit, before_seq=before
    )

    return AccessLogOut(
        entries=[
            AccessLogEntryOut(
                seq=e.seq,
                at=e.at,
                when=access_log.when(e, language),
                actor=e.actor,
                action=e.action,
                purpose=e.purpose.value if e.purpose else None,
                text=access_log.describe(e, language, platform.banks.name_of),
            )
            for e in entries
        ],
        next_before=entries[-1].seq if len(entries) == limit and entries[-1].seq > 1 else None,
    )


@router.get(
    "/export",
    responses={**_PROBLEMS, 200: {"content": {"application/json": {}}}},
    response_class=Response,
)
async def export(me: CurrentPerson, platform: PlatformDep, tx: TxDep) -> Response:
    """Everything about the person as one JSON document (itself an audited read)."""
    document = await service.export_everything(platform, tx, me.person.id)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="bankchat-export.json"'},
    )


@router.post(
    "/erase",
    status_code=204,
    responses=problem_responses(
        {
            401: "Not logged in (NOT_AUTHENTICATED).",
            403: "CSRF token missing or wrong (CSRF_FAILED).",
            422: "Invalid request (VALIDATION_FAILED), or not the person's email "
            "address (CONFIRMATION_MISMATCH).",
        }
    ),
)
async def erase(
    body: EraseRequest,
    me: CurrentPerson,
    platform: PlatformDep,
    tx: TxDep,
) -> Response:
    """Erase everything: connections ended at the banks, data key shredded, person deleted."""
    await service.erase_everything(platform, tx, me.person.id, confirm_email=body.confirm_email)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
