"""The ``bankchat`` command line: demo, sandbox and database administration."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from bankchat import db
from bankchat.config import get_settings
from bankchat.logging import configure_logging

app = typer.Typer(help="bankchat: banking inside a messenger.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()


@app.callback()
def _setup() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the migrations to the configured database."""
    settings = get_settings()
    settings.ensure_data_dir()

    async def _run() -> str | None:
        engine = db.create_engine(settings.resolved_database_url())
        try:
            await db.upgrade(engine, revision)
            return await db.current_revision(engine)
        finally:
            await engine.dispose()

    current = asyncio.run(_run())
    console.print(f"database at revision [bold]{current}[/bold]")
