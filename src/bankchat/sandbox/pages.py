"""What the bank's HTML pages share: templates, language, the bank's colours, the login
form and its check, and the form tokens."""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bankchat.sandbox.form_tokens import FormTokens
from bankchat.sandbox.i18n import Texts, choose_language
from bankchat.sandbox.model import Bank, Customer
from bankchat.sandbox.world import World

TokenField = Annotated[str, Form(max_length=1000)]
LoginField = Annotated[str, Form(max_length=200)]

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
    """The app's form token signer (made with a random secret when the app was created)."""
    tokens: FormTokens = request.app.state.form_tokens
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


def login_page(
    request: Request,
    world: World,
    bank: Bank,
    *,
    intro: str,
    purpose: str,
    subject: str,
    failed: bool = False,
) -> HTMLResponse:
    """The login form, its token issued for ``purpose`` on ``subject``; 401 after a
    failed attempt."""
    texts = texts_for(request, bank)
    return render(
        request,
        bank,
        texts,
        "sca_login.html",
        status=401 if failed else 200,
        intro=intro,
        token=form_tokens(request, world).issue(purpose, subject),
        failed=failed,
        switch_url=switch_language_url(request, texts),
    )


def message_page(
    request: Request, bank: Bank, texts: Texts, key: str, status: int, **values: object
) -> HTMLResponse:
    """A page that only says the text ``key``."""
    return render(
        request, bank, texts, "sca_message.html", status=status, message=texts(key, **values)
    )
