"""The web messenger: static HTML, CSS and JavaScript modules, served as they are (no
build step, no third-party code), and the route that serves the app's page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    """The single page of the web messenger; it routes itself by the URL's fragment."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
