"""Request plumbing shared by the sandbox's routes: the world, the bank, the headers."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Annotated, Literal, overload
from urllib.parse import urlsplit

from fastapi import Depends, Header, Path, Request

from bankchat.sandbox.errors import format_error, resource_unknown
from bankchat.sandbox.model import Bank
from bankchat.sandbox.world import World


async def get_world(request: Request) -> World:
    world: World = request.app.state.world
    return world


WorldDep = Annotated[World, Depends(get_world)]


async def get_bank(world: WorldDep, bank_id: Annotated[str, Path(max_length=64)]) -> Bank:
    bank = world.banks.get(bank_id)
    if bank is None:
        raise resource_unknown(f"no bank with id {bank_id!r} in this sandbox")
    return bank


BankDep = Annotated[Bank, Depends(get_bank)]


async def require_request_id(
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


async def psu_ip_address(
    psu_ip_address: Annotated[str | None, Header(alias="PSU-IP-Address")] = None,
) -> str | None:
    """The PSU's IP address when the person is present, else None; not an IP address is a
    FORMAT_ERROR."""
    if not psu_ip_address:
        return None
    try:
        ipaddress.ip_address(psu_ip_address)
    except ValueError:
        raise format_error("PSU-IP-Address is not an IP address", "PSU-IP-Address") from None
    return psu_ip_address


PsuIpDep = Annotated[str | None, Depends(psu_ip_address)]


@overload
def redirect_uri(value: str | None, header: str, *, required: Literal[True]) -> str: ...
@overload
def redirect_uri(value: str | None, header: str, *, required: bool) -> str | None: ...
def redirect_uri(value: str | None, header: str, *, required: bool) -> str | None:
    """The TPP's redirect URI from ``header``: an absolute http(s) URI, or None if absent
    and not ``required``; anything else is a FORMAT_ERROR."""
    if not value:
        if required:
            raise format_error(f"header {header} is missing; this bank uses redirect SCA", header)
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port out of range
        absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    except ValueError:  # e.g. a broken IPv6 host or a port out of range
        absolute = False
    if not absolute:
        raise format_error(f"header {header} must be an absolute http(s) URI", header)
    return value


def base_url(request: Request, bank: Bank) -> str:
    """Absolute URL of ``bank``'s root, as the TPP and the browser reach it."""
    return f"{str(request.base_url).rstrip('/')}/banks/{bank.id}"


def bank_path(bank: Bank, path: str) -> str:
    """Path of a resource of ``bank`` for ``_links`` (``path`` starts with ``/v1``)."""
    return f"/banks/{bank.id}{path}"
