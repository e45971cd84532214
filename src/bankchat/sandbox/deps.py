"""Request plumbing shared by the sandbox's routes: the world, the bank, the headers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from bankchat.sandbox.errors import format_error, resource_unknown
from bankchat.sandbox.model import Bank
from bankchat.sandbox.world import World


def get_world(request: Request) -> World:
    world: World = request.app.state.world
    return world


WorldDep = Annotated[World, Depends(get_world)]


def get_bank(world: WorldDep, bank_id: Annotated[str, Path(max_length=64)]) -> Bank:
    bank = world.banks.get(bank_id)
    if bank is None:
        raise resource_unknown(f"no bank with id {bank_id!r} in this sandbox")
    return bank


BankDep = Annotated[Bank, Depends(get_bank)]


def require_request_id(
    x_request_id: Annotated[str | None, Header(alias="X-Request-ID")] = None,
) -> str:
    """The mandatory ``X-Request-ID`` header, a UUID."""
    if not x_request_id:
        raise format_error("header X-Request-ID is missing", "X-Request-ID")
    try:
        uuid.UUID(x_request_id)
    except ValueError:
        raise format_error("header X-Request-ID must be a UUID", "X-Request-ID") from None
    return x_request_id


RequestIdDep = Annotated[str, Depends(require_request_id)]


def psu_ip_address(
    psu_ip_address: Annotated[str | None, Header(alias="PSU-IP-Address")] = None,
) -> str | None:
    """The PSU's IP address when the person is present, else None."""
    return psu_ip_address or None


PsuIpDep = Annotated[str | None, Depends(psu_ip_address)]


def base_url(request: Request, bank: Bank) -> str:
    """Absolute URL of ``bank``'s root, as the TPP and the browser reach it."""
    return f"{str(request.base_url).rstrip('/')}/banks/{bank.id}"


def bank_path(bank: Bank, path: str) -> str:
    """Path of a resource of ``bank`` for ``_links`` (``path`` starts with ``/v1``)."""
    return f"/banks/{bank.id}{path}"
