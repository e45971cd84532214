"""Fixtures shared by all tests: databases on SQLite and PostgreSQL, the live sandbox bank
over real HTTP, and NextGenPSD2 conformance checking of every response."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

import bankchat.assistant
from bankchat.app import create_app
from bankchat.banking.registry import BankEntry
from bankchat.cli import bank_entries_for
from bankchat.config import Settings
from bankchat.platform import Platform
from bankchat.sandbox.app import create_app as create_sandbox_app
from bankchat.sandbox.world import World
from bankchat.server import open_platform
from tests.conformance import Conformance, load_spec, spec_path
from tests.databases import (
    PostgresSchemas,
    migrate_sqlite_file,
    postgres_schema,
    record_postgres_migration,
    run_async,
    sqlite_database,
)
from tests.sandbox.worlds import small_world
from tests.services import port_open, unavailable
from tests.tls import shared_tls

if TYPE_CHECKING:
    from bankchat.assistant.nlu.pipeline import Nlu

PARTNER_SECRET = "test-partner-secret"
NLU_PACKAGE = Path(bankchat.assistant.__file__).parent / "nlu"


# -- databases ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This worker's SQLite file migrated to head, which each test gets a copy of."""
    path = tmp_path_factory.mktemp("migrated") / "template.db"
    run_async(lambda: migrate_sqlite_file(path))
    return path


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    """This worker's migrated PostgreSQL schemas: what migrating a schema to head executes
    is recorded once, and replayed into a new schema for each test."""
    schemas = PostgresSchemas(run_async(record_postgres_migration))
    try:
        yield schemas
    finally:
        schemas.close()


def require_postgres() -> None:
    if not port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL is not reachable on 127.0.0.1:5432")


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated database of the test's own: a copy of the worker's migrated SQLite file,
    or a PostgreSQL schema of its own into which the worker's recorded migration was
    replayed (see tests/databases.py)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite_file")
        async with sqlite_database(tmp_path / "test.db", template) as engine:
            yield engine
        return
    require_postgres()
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    async with schemas.migrated() as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """An empty database of the test's own, for tests that migrate it themselves."""
    if request.param == "sqlite":
        async with sqlite_database(tmp_path / "test.db") as engine:
            yield engine
        return
    require_postgres()
    async with postgres_schema() as engine:
        yield engine


# -- bankchat's own NLU --------------------------------------------------------------


def nlu_code_digest() -> str:
    """A digest of the NLU's code and the libraries its model is made of."""
    digest = hashlib.sha256()
    for source in sorted(NLU_PACKAGE.glob("*.py")):
        digest.update(f"{source.name}\0".encode())
        digest.update(source.read_bytes())
    for library in ("numpy", "scipy", "scikit-learn"):
        digest.update(f"{library}={metadata.version(library)}\0".encode())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def nlu_cache(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where tests cache bankchat's NLU model: pytest's cache directory, which the xdist
    workers share and later runs find again. The model's own digest covers the examples,
    scikit-learn's version and the feature configuration's; the directory is named for the
    NLU's code too, so a test never loads a model that older code built."""
    cache = getattr(pytestconfig, "cache", None)
    if cache is None:
        return tmp_path_factory.mktemp("bankchat-nlu-model")
    root = Path(cache.mkdir("bankchat-nlu-model"))
    current = root / f"code-{nlu_code_digest()}"
    for other in root.glob("code-*"):
        if other != current:
            shutil.rmtree(other, ignore_errors=True)
    current.mkdir(exist_ok=True)
    return current


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (across processes) for the block."""
    with lock_file.open("a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def trained_nlu(nlu_cache: Path) -> Nlu:
    """bankchat's own trained NLU, once per test process: the first worker to need it
    builds and caches it, the others wait for it and load it."""
    from bankchat.assistant.nlu.pipeline import load_nlu

    with exclusive(nlu_cache / "build.lock"):
        return load_nlu(nlu_cache)


# -- conformance ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def conformance() -> Conformance:
    """Checks responses against the official NextGenPSD2 OpenAPI file."""
    path = spec_path()
    if path is None:
        unavailable("BANKCHAT_SPEC_DIR does not point at the NextGenPSD2 spec directory")
        raise AssertionError("unreachable")
    return Conformance(load_spec(path))


# -- the sandbox over real HTTP -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveSandbox:
    """A sandbox bank served by uvicorn on a loopback port."""

    world: World
    url: str

    def bank_url(self, bank_id: str) -> str:
        return f"{self.url}/banks/{bank_id}"


def serve(world: World, **options: Any) -> Iterator[LiveSandbox]:
    """Run the sandbox app for ``world`` in a thread until the generator is closed."""
    port = free_port()
    config = uvicorn.Config(
        create_sandbox_app(world, partner_secret=PARTNER_SECRET, **options),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield LiveSandbox(world, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def world() -> World:
    """A small world, fresh for each test."""
    return small_world()


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """Options for ``create_app``; override in a test module to change them.

    Tests change the world from their own thread while uvicorn serves it from another, so
    the clearing loop is parked: tests that want clearing call ``run_clearing`` themselves.
    """
    return {"clearing_interval": 3600.0}


@pytest.fixture
def sandbox(world: World, sandbox_options: dict[str, Any]) -> Iterator[LiveSandbox]:
    """The sandbox serving ``world`` over real HTTP on loopback."""
    yield from serve(world, **sandbox_options)


# -- the platform, wired to the live sandbox ------------------------------------------


@pytest.fixture
def bank_entries(sandbox: LiveSandbox) -> list[BankEntry]:
    """Registry entries for every bank of the live sandbox, partner extension included."""
    return bank_entries_for(sandbox.world.banks.values(), sandbox.url, PARTNER_SECRET)


def platform_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        public_url="http://platform.test",
        master_key=base64.b64encode(b"k" * 32).decode(),
        password_hash_profile="light",
        **overrides,
    )


@pytest.fixture
async def platform(
    db_engine: AsyncEngine, bank_entries: list[BankEntry], world: World, tmp_path: Path
) -> AsyncIterator[Platform]:
    """The platform on ``db_engine``, its business clock on the sandbox world's."""
    async with open_platform(
        platform_settings(tmp_path), bank_entries, engine=db_engine, clock=lambda: world.clock()
    ) as opened:
        yield opened


@pytest.fixture
def platform_app(platform: Platform) -> FastAPI:
    """The platform's ASGI app without background work (tests drive it step by step)."""
    return create_app(platform, background=False)


@pytest.fixture
async def client(
    sandbox: LiveSandbox, conformance: Conformance
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client to the live sandbox that checks every NextGenPSD2 response."""
    async with httpx.AsyncClient(
        base_url=sandbox.url,
        event_hooks={"response": [conformance.hook]},
        timeout=10,
        verify=shared_tls(),
    ) as http:
        yield http
