"""What the bank's HTML pages share: templates, language, the bank's colours, the login
check and the form tokens."""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bankchat.sandbox.form_tokens import FormTokens
from bankchat.sandbox.i18n import Texts, choose_language
from bankchat.sandbox.model import Bank, Customer
from bankchat.sandbox.world import World

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Only the page's own inline styles; forms may redirect on to the TPP's site.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


def texts_for(request: Request, bank: Bank) -> Texts:
    """The language of ``?lang=``, else of Accept-Language, else of the bank."""
    return Texts(
        choose_language(
            request.query_params.get("lang"), request.headers.get("accept-language"), bank.language
        )
    )


def form_tokens(request: Request, world: World) -> FormTokens:
    """The app's form token signer, made with a fresh random secret on first use."""
    tokens: FormTokens | None = getattr(request.app.state, "form_tokens", None)
    if tokens is None:
        tokens = request.app.state.form_tokens = FormTokens.random(world.clock)
    return tokens


def authenticate(world: World, bank: Bank, login: str, password: str) -> Customer | None:
    """The customer with these credentials at ``bank``, or None."""
    customer = world.find_customer(bank.id, login.strip())
    if customer is None or not hmac.compare_digest(customer.password.encode(), password.encode()):
        return None
    return customer


def render(
    request: Request, bank: Bank, texts: Texts, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page of ``bank`` in the language of ``texts``."""
    html = templates.get_template(template).render(
        bank=bank,
        t=texts,
        lang=texts.language,
        primary=bank.primary_color if _COLOUR.match(bank.primary_color) else "#1f4f8f",
        accent=bank.accent_color if _COLOUR.match(bank.accent_color) else "#ffffff",
        lang_query=f"?lang={texts.language}",
        switch_url=context.pop("switch_url", None),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def switch_language_url(request: Request, texts: Texts) -> str:
    return f"{request.url.path}?lang={texts.other_language}"
