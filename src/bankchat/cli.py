"""The ``bankchat`` command line: demo, sandbox and database administration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from bankchat import db
from bankchat.assistant.nlu.cli import nlu_app
from bankchat.banking.registry import BankEntry, load_banks_file
from bankchat.config import Settings, get_settings
from bankchat.instance import ensure_instance
from bankchat.logging import configure_logging
from bankchat.platform import Platform
from bankchat.sandbox.model import Bank
from bankchat.sandbox.world import World
from bankchat.secrets_file import read_or_create_secret

app = typer.Typer(help="bankchat: banking inside a messenger.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(nlu_app, name="nlu")

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

    async def _run() -> tuple[str | None, str | None]:
        engine = db.create_engine(settings.resolved_database_url())
        try:
            await db.upgrade(engine, revision)
            current = await db.current_revision(engine)
            # The deployment's identity exists from the first upgrade on (not after a
            # downgrade to base, where its table is gone).
            instance = await ensure_instance(db.session_factory(engine)) if current else None
            return current, instance
        finally:
            await engine.dispose()

    current, instance = asyncio.run(_run())
    console.print(f"database at revision [bold]{current}[/bold], instance {instance}")


sandbox_app = typer.Typer(help="The sandbox banks (NextGenPSD2).", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


def _sandbox_world(seed: int, customers_per_bank: int) -> World:
    from datetime import date

    from bankchat.sandbox.generator import generate_world

    return generate_world(seed, today=date.today(), customers_per_bank=customers_per_bank)


def _print_customers(world: World, base_url: str | None = None) -> None:
    table = Table(title="Sandbox customers (log in on the bank's pages with these)")
    table.add_column("bank")
    table.add_column("name")
    # Logins and passwords are what people copy: never wrapped or cut.
    table.add_column("login", no_wrap=True, min_width=14)
    table.add_column("password", no_wrap=True, min_width=14)
    table.add_column("accounts")
    for customer in sorted(world.customers.values(), key=lambda c: (c.bank_id, c.login)):
        kinds = ", ".join(a.kind.value for a in world.customer_accounts(customer.id))
        table.add_row(
            world.banks[customer.bank_id].name,
            customer.name,
            customer.login,
            customer.password,
            kinds,
        )
    console.print(table)
    if base_url:
        console.print("\nNextGenPSD2 base URLs and online banking:")
        for bank in world.banks.values():
            root = f"{base_url}/banks/{bank.id}"
            console.print(f"  {bank.name}: {root}/v1  {root}/online-banking", soft_wrap=True)


@sandbox_app.command("customers")
def sandbox_customers(
    seed: int = typer.Option(None, help="Generator seed (default BANKCHAT_SANDBOX_SEED)."),
    customers_per_bank: int = typer.Option(6, min=1, max=200),
) -> None:
    """List the seeded customers with their logins and passwords."""
    settings = get_settings()
    _print_customers(
        _sandbox_world(settings.sandbox_seed if seed is None else seed, customers_per_bank)
    )


def _partner_secret(settings: Settings) -> str:
    return settings.sandbox_partner_secret or read_or_create_secret(
        settings.ensure_data_dir() / "sandbox-partner-secret"
    )


def serve_sandbox(
    *, host: str, port: int, seed: int, live_rate: float, customers_per_bank: int
) -> None:
    """Generate the sandbox world, print how to reach it and serve it until interrupted."""
    import uvicorn

    from bankchat.sandbox.app import create_app

    settings = get_settings()
    secret = _partner_secret(settings)
    world = _sandbox_world(seed, customers_per_bank)
    base_url = f"http://{host}:{port}"
    _print_customers(world, base_url)
    console.print(f"\nOpen [bold]{base_url}/[/bold] to try the consent flow in a browser.\n")
    uvicorn.run(
        create_app(world, partner_secret=secret, live_rate=live_rate, live_seed=seed),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep bankchat's structured logging for uvicorn's records too
    )


@sandbox_app.command("serve")
def sandbox_serve(
    port: int = typer.Option(None, help="Port (default BANKCHAT_SANDBOX_PORT)."),
    seed: int = typer.Option(None, help="Generator seed (default BANKCHAT_SANDBOX_SEED)."),
    live_rate: float = typer.Option(
        None, "--live-rate", min=0.0, help="New transactions per second (0 = off)."
    ),
    host: str = typer.Option(None, help="Bind address (default BANKCHAT_HOST)."),
    customers_per_bank: int = typer.Option(6, min=1, max=200),
) -> None:
    """Serve the sandbox banks over HTTP."""
    settings = get_settings()
    serve_sandbox(
        host=host or settings.host,
        port=port or settings.sandbox_port,
        seed=settings.sandbox_seed if seed is None else seed,
        live_rate=settings.sandbox_live_rate if live_rate is None else live_rate,
        customers_per_bank=customers_per_bank,
    )


def bank_entries_for(
    banks: Iterable[Bank], sandbox_url: str, partner_secret: str | None
) -> list[BankEntry]:
    """Registry entries for sandbox ``banks`` served at ``sandbox_url``; with a partner
    secret, their partner extension (webhooks, cards) too."""
    entries = []
    for bank in banks:
        root = f"{sandbox_url}/banks/{bank.id}"
        entries.append(
            BankEntry(
                id=bank.id,
                name=bank.name,
                base_url=root,
                standard="nextgenpsd2",
                country=bank.country,
                currency=bank.currency,
                language="de" if bank.language == "de" else "en",
                primary_color=bank.primary_color,
                accent_color=bank.accent_color,
                partner_base_url=f"{root}/partner/v1" if partner_secret else None,
                partner_secret=SecretStr(partner_secret) if partner_secret else None,
            )
        )
    return entries


def sandbox_bank_entries(settings: Settings, secret: str) -> list[BankEntry]:
    """The registry entries of the sandbox banks served on ``settings.sandbox_port``."""
    from bankchat.sandbox.banks import SANDBOX_BANKS

    return bank_entries_for(
        SANDBOX_BANKS, f"http://{settings.host}:{settings.sandbox_port}", secret
    )


def configured_banks(settings: Settings) -> list[BankEntry]:
    """The banks of ``BANKCHAT_BANKS_FILE``, else the sandbox banks."""
    if settings.banks_file is not None:
        return load_banks_file(settings.banks_file)
    return sandbox_bank_entries(settings, _partner_secret(settings))


@app.command("serve")
def serve() -> None:
    """Serve the platform (API, webhooks, background sync) on BANKCHAT_HOST:BANKCHAT_PORT."""
    from bankchat.app import create_app
    from bankchat.server import open_platform, serve_all, uvicorn_server

    settings = get_settings()
    banks = configured_banks(settings)

    async def _run() -> None:
        async with open_platform(settings, banks) as platform:
            server = uvicorn_server(
                create_app(platform),
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.lower(),
            )
            console.print(f"bankchat serves [bold]{platform.public_url}/[/bold]")
            await serve_all([server])

    asyncio.run(_run())


DEMO_EMAIL = "demo@bankchat.example"
DEMO_PASSWORD = "lindenblatt-kranich-2026"  # noqa: S105 (printed on purpose: a demo account)


async def ensure_demo_person(platform: Platform) -> None:
    """The ready demo person of ``bankchat demo`` (created once, kept across runs)."""
    from bankchat.identity import passwords
    from bankchat.identity import service as identity

    async with platform.unit_of_work() as tx:
        if await identity.find_person_by_email(tx.session, DEMO_EMAIL) is None:
            await identity.sign_up(
                tx,
                email=DEMO_EMAIL,
                display_name="Demo",
                password=DEMO_PASSWORD,
                language="en",
                hasher=passwords.hasher(platform.settings.password_hash_profile),
                now=platform.clock(),
            )


@app.command("demo")
def demo() -> None:
    """Run bankchat on its embedded defaults: SQLite, in-process bus, sandbox banks."""
    import uvicorn

    from bankchat.app import create_app
    from bankchat.sandbox.app import create_app as create_sandbox_app
    from bankchat.server import open_platform, serve_all, uvicorn_server

    settings = get_settings()
    secret = _partner_secret(settings)
    seed = settings.sandbox_seed
    world = _sandbox_world(seed, 6)
    _print_customers(world, f"http://{settings.host}:{settings.sandbox_port}")
    live_rate = settings.sandbox_live_rate or 0.2

    async def _run() -> None:
        async with open_platform(settings, sandbox_bank_entries(settings, secret)) as platform:
            await ensure_demo_person(platform)
            log_level = settings.log_level.lower()
            servers: list[uvicorn.Server] = [
                uvicorn_server(
                    create_sandbox_app(
                        world, partner_secret=secret, live_rate=live_rate, live_seed=seed
                    ),
                    host=settings.host,
                    port=settings.sandbox_port,
                    log_level=log_level,
                ),
                uvicorn_server(
                    create_app(platform),
                    host=settings.host,
                    port=settings.port,
                    log_level=log_level,
                ),
            ]
            console.print(
                f"\nbankchat demo: open [bold]{platform.public_url}/[/bold] and log in as "
                f"[bold]{DEMO_EMAIL}[/bold] with the password [bold]{DEMO_PASSWORD}[/bold] "
                f"(or sign up). API docs at {platform.public_url}/docs\n",
                soft_wrap=True,
            )
            await serve_all(servers)

    asyncio.run(_run())


@app.command("sync")
def sync_command(
    email: str = typer.Option(None, "--person", help="Only this person's connections (email)."),
) -> None:
    """Sync linked accounts now, without the person (limited by each consent's budget)."""
    from rich.progress import Progress

    from bankchat.banking import service as banking
    from bankchat.banking.sync import sync_connection
    from bankchat.identity import service as identity
    from bankchat.server import open_platform

    settings = get_settings()

    async def _run() -> int:
        async with open_platform(settings, configured_banks(settings)) as platform:
            async with platform.sessions() as session:
                if email:
                    person = await identity.find_person_by_email(session, email)
                    if person is None:
                        console.print(f"[red]no person with the email {email}[/red]")
                        return 1
                    ids = [
                        c.id
                        for c in await banking.list_connections(session, person.id)
                        if banking.is_valid(c)
                    ]
                else:
                    ids = await banking.valid_connection_ids(session)
            table = Table(title="Sync")
            for column in ("connection", "bank", "status", "added", "modified", "removed"):
                table.add_column(column)
            with Progress(console=console) as progress:
                bar = progress.add_task("syncing", total=len(ids))
                for connection_id in ids:
                    report = await sync_connection(platform, connection_id)
                    table.add_row(
                        connection_id[:8],
                        report.bank_id or "",
                        report.error or report.status,
                        str(report.added),
                        str(report.modified),
                        str(report.removed),
                    )
                    progress.advance(bar)
            console.print(table)
            return 0

    raise typer.Exit(asyncio.run(_run()))


audit_app = typer.Typer(help="The audit chain of every read of bank data.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit chain; name the first broken entry (exit code 1)."""
    from bankchat.server import open_platform

    settings = get_settings()

    async def _run() -> int:
        async with open_platform(settings, []) as platform:
            report = await platform.vault.verify_chain()
        if report.ok:
            console.print(
                f"audit chain intact: {report.entries_checked} entries "
                f"in {report.chains_checked} chains"
            )
            return 0
        assert report.first_broken is not None
        person, seq = report.first_broken
        console.print(
            f"[red]audit chain broken[/red] at entry {seq} of person {person}: {report.reason}"
        )
        return 1

    raise typer.Exit(asyncio.run(_run()))


vault_app = typer.Typer(help="The vault's keys.", no_args_is_help=True)
app.add_typer(vault_app, name="vault")


@vault_app.command("rotate-master-key")
def vault_rotate_master_key() -> None:
    """Re-wrap every person's data key under a new master key.

    Key file (default): a new key is created and replaces the old one. BANKCHAT_MASTER_KEY:
    set the new key there and the old one in BANKCHAT_MASTER_KEY_PREVIOUS first.
    """
    from bankchat.server import open_platform

    settings = get_settings()

    async def _run() -> int:
        async with open_platform(settings, []) as platform:
            return await platform.vault.rotate_configured_master_key(settings)

    count = asyncio.run(_run())
    console.print(f"re-wrapped {count} data keys under the current master key")
    if settings.master_key_previous is not None:
        console.print("BANKCHAT_MASTER_KEY_PREVIOUS is no longer needed; remove it.")
