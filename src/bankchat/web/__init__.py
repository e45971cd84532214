"""The web messenger: static HTML, CSS and JavaScript modules, served as they are (no
build step, no third-party code), and the route that serves the app's page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)

# Only our own scripts, styles and connections; never framed (no clickjacking of a bank
# UI); no MIME sniffing; no referrer leaving the site.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@router.get("/")
async def index() -> FileResponse:
    """The single page of the web messenger; it routes itself by the URL's fragment."""
    return FileResponse(
        STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache", **SECURITY_HEADERS}
    )
