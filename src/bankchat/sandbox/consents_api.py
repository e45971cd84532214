"""NextGenPSD2 consent routes: /v1/consents and its status and authorisation resources.

Thin: the body and headers are checked here, every rule lives in
:mod:`bankchat.sandbox.consents`. The redirect SCA approach is the only one offered, so
each consent has exactly one authorisation, created with it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from bankchat.sandbox import consents
from bankchat.sandbox.deps import (
    BankDep,
    PsuIpDep,
    RequestIdDep,
    WorldDep,
    bank_path,
    base_url,
    redirect_uri,
)
from bankchat.sandbox.errors import Psd2Error, format_error, resource_unknown
from bankchat.sandbox.model import Bank, Consent, ConsentStatus, ScaStatus
from bankchat.sandbox.world import World

router = APIRouter(prefix="/banks/{bank_id}")

ConsentIdPath = Annotated[str, Path(alias="consentId", max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class AccountReferenceBody(_Body):
    """An account named by IBAN, BBAN or masked PAN (exactly one)."""

    iban: StrictStr | None = Field(None, max_length=34)
    bban: StrictStr | None = Field(None, max_length=30)
    masked_pan: StrictStr | None = Field(None, alias="maskedPan", max_length=35)
    currency: StrictStr | None = Field(None, pattern=r"^[A-Z]{3}$")

    def identifiers(self) -> int:
        return sum(value is not None for value in (self.iban, self.bban, self.masked_pan))


class AccessBody(_Body):
    """The ``accountAccess`` object of a consent request."""

    accounts: list[AccountReferenceBody] | None = Field(None, max_length=100)
    balances: list[AccountReferenceBody] | None = Field(None, max_length=100)
    transactions: list[AccountReferenceBody] | None = Field(None, max_length=100)
    available_accounts: StrictStr | None = Field(None, alias="availableAccounts")
    available_accounts_with_balance: StrictStr | None = Field(
        None, alias="availableAccountsWithBalance"
    )
    all_psd2: StrictStr | None = Field(None, alias="allPsd2")
    restricted_to: list[StrictStr] | None = Field(None, alias="restrictedTo", max_length=20)
    additional_information: dict[str, Any] | None = Field(None, alias="additionalInformation")


class ConsentBody(_Body):
    """The body of POST /v1/consents."""

    access: AccessBody
    recurring_indicator: StrictBool = Field(alias="recurringIndicator")
    valid_until: date = Field(alias="validUntil")
    frequency_per_day: StrictInt = Field(alias="frequencyPerDay", ge=1, le=1000)
    combined_service_indicator: StrictBool = Field(alias="combinedServiceIndicator")


def _checked_access(body: AccessBody) -> dict[str, object]:
    if body.additional_information is not None:
        raise Psd2Error(
            400,
            "PARAMETER_NOT_SUPPORTED",
            "additionalInformation is not supported",
            path="additionalInformation",
        )
    for key in consents.REFERENCE_LISTS:
        for reference in getattr(body, key) or []:
            if reference.identifiers() != 1:
                raise format_error(
                    "each account reference needs exactly one of iban, bban, maskedPan", key
                )
    access: dict[str, object] = body.model_dump(by_alias=True, exclude_none=True)
    return access


def _links(request: Request, bank: Bank, consent: Consent) -> dict[str, Any]:
    own = bank_path(bank, f"/v1/consents/{consent.id}")
    return {
        "scaRedirect": {
            "href": f"{base_url(request, bank)}/sca/consents/{consent.id}/"
            f"{consent.authorisation_id}"
        },
        "self": {"href": own},
        "status": {"href": f"{own}/status"},
        "scaStatus": {"href": f"{own}/authorisations/{consent.authorisation_id}"},
    }


@router.post("/v1/consents", status_code=201)
async def create_consent(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    body: ConsentBody,
    psu_ip: PsuIpDep,
    redirect: Annotated[str | None, Header(alias="TPP-Redirect-URI", max_length=2000)] = None,
    nok_redirect: Annotated[
        str | None, Header(alias="TPP-Nok-Redirect-URI", max_length=2000)
    ] = None,
    brand: Annotated[
        str | None, Header(alias="TPP-Brand-Logging-Information", max_length=200)
    ] = None,
) -> JSONResponse:
    """Create a consent; the PSU authorises it on the bank's page behind scaRedirect."""
    if psu_ip is None:
        raise format_error("header PSU-IP-Address is missing", "PSU-IP-Address")
    ok_uri = redirect_uri(redirect, "TPP-Redirect-URI", required=True)
    consent = consents.create_consent(
        world,
        bank,
        consents.ConsentRequest(
            access=_checked_access(body.access),
            recurring=body.recurring_indicator,
            valid_until=body.valid_until,
            frequency_per_day=body.frequency_per_day,
            combined=body.combined_service_indicator,
            redirect_uri=ok_uri,
            nok_redirect_uri=redirect_uri(nok_redirect, "TPP-Nok-Redirect-URI", required=False),
            tpp_name=brand.strip() if brand else None,
        ),
    )
    links = _links(request, bank, consent)
    return JSONResponse(
        {"consentStatus": consent.status.value, "consentId": consent.id, "_links": links},
        status_code=201,
        headers={
            "Location": f"{base_url(request, bank)}/v1/consents/{consent.id}",
            "ASPSP-SCA-Approach": "REDIRECT",
        },
    )


def _consent(world: World, bank: Bank, consent_id: str) -> Consent:
    consent = consents.find_consent(world, bank, consent_id)
    if consent is None:
        raise Psd2Error(403, "CONSENT_UNKNOWN", f"no consent {consent_id!r} at this bank")
    return consent


@router.get("/v1/consents/{consentId}")
async def read_consent(
    world: WorldDep, bank: BankDep, _request_id: RequestIdDep, consent_id: ConsentIdPath
) -> dict[str, Any]:
    consent = _consent(world, bank, consent_id)
    result: dict[str, Any] = {
        "access": consents.access_view(world, consent),
        "recurringIndicator": consent.recurring,
        "validUntil": consent.valid_until.isoformat(),
        "frequencyPerDay": consent.frequency_per_day,
        "lastActionDate": consent.last_action_date.isoformat(),
        "consentStatus": consent.status.value,
    }
    if consent.status is ConsentStatus.VALID:
        accounts = [world.accounts[i] for i in consent.account_ids]
        links = {}
        if any(not a.is_card_account for a in accounts):
            links["account"] = {"href": bank_path(bank, "/v1/accounts")}
        if any(a.is_card_account for a in accounts):
            links["card-account"] = {"href": bank_path(bank, "/v1/card-accounts")}
        if links:
            result["_links"] = links
    return result


@router.get("/v1/consents/{consentId}/status")
async def read_consent_status(
    world: WorldDep, bank: BankDep, _request_id: RequestIdDep, consent_id: ConsentIdPath
) -> dict[str, str]:
    return {"consentStatus": _consent(world, bank, consent_id).status.value}


@router.delete("/v1/consents/{consentId}", status_code=204)
async def delete_consent(
    world: WorldDep, bank: BankDep, _request_id: RequestIdDep, consent_id: ConsentIdPath
) -> Response:
    consents.terminate_by_tpp(world, _consent(world, bank, consent_id))
    return Response(status_code=204)


@router.get("/v1/consents/{consentId}/authorisations")
async def list_consent_authorisations(
    world: WorldDep, bank: BankDep, _request_id: RequestIdDep, consent_id: ConsentIdPath
) -> dict[str, list[str]]:
    return {"authorisationIds": [_consent(world, bank, consent_id).authorisation_id]}


@router.post("/v1/consents/{consentId}/authorisations", status_code=201)
async def start_consent_authorisation(
    request: Request,
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    consent_id: ConsentIdPath,
) -> dict[str, Any]:
    """Hand out the consent's authorisation again while it still waits for the PSU."""
    consent = _consent(world, bank, consent_id)
    if consent.status is not ConsentStatus.RECEIVED or consent.sca_status is not ScaStatus.RECEIVED:
        raise Psd2Error(409, "STATUS_INVALID", f"the consent is {consent.status.value}")
    links = _links(request, bank, consent)
    return {
        "scaStatus": consent.sca_status.value,
        "authorisationId": consent.authorisation_id,
        "_links": {"scaRedirect": links["scaRedirect"], "scaStatus": links["scaStatus"]},
    }


@router.get("/v1/consents/{consentId}/authorisations/{authorisationId}")
async def read_consent_sca_status(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    consent_id: ConsentIdPath,
    authorisation_id: Annotated[str, Path(alias="authorisationId", max_length=128)],
) -> dict[str, str]:
    consent = _consent(world, bank, consent_id)
    if authorisation_id != consent.authorisation_id:
        raise resource_unknown(f"no authorisation {authorisation_id!r} for this consent", 403)
    return {"scaStatus": consent.sca_status.value}
