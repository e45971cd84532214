"""Sandbox benchmark: how fast the generator builds a world, and how many NextGenPSD2
transaction pages the sandbox serves per second.

Run with ``python -m bench.sandbox``. The sandbox runs in a child process (so the load
generator does not share its interpreter lock) serving the default generated world on a
loopback port; concurrent httpx clients in this process then fetch pages of 100
transactions for a fixed time, and as a baseline the consent status, the cheapest call
that still passes the same routing, headers and error handling. Each figure is the
median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
from rich.console import Console
from rich.table import Table

SEED = 42
PSU_IP = "127.0.0.1"


# -- generator ------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorRun:
    banks: int
    customers: int
    transactions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.transactions / self.seconds


def run_generator(today: date) -> GeneratorRun:
    from bankchat.sandbox.generator import generate_world

    start = time.perf_counter()
    world = generate_world(SEED, today=today)
    seconds = time.perf_counter() - start
    return GeneratorRun(
        len(world.banks), len(world.customers), len(world.transaction_index), seconds
    )


# -- the served sandbox (child process) -----------------------------------------------


def serve(port: int, today: date) -> None:
    """Generate the default world, approve one consent, print its ids, then serve."""
    import uvicorn

    from bankchat.sandbox import consents
    from bankchat.sandbox.app import create_app
    from bankchat.sandbox.generator import generate_world
    from bankchat.sandbox.model import AccountKind

    world = generate_world(SEED, today=today)
    account = max(
        (a for a in world.accounts.values() if a.kind is AccountKind.CHECKING),
        key=lambda a: len(world.transactions[a.id]),
    )
    bank = world.banks[account.bank_id]
    customer = world.customers[account.customer_id]
    request = consents.ConsentRequest(
        access={"allPsd2": "allAccounts"},
        recurring=True,
        valid_until=today + timedelta(days=90),
        frequency_per_day=4,
        combined=False,
        redirect_uri="https://tpp.invalid/done",
        nok_redirect_uri=None,
        tpp_name="bench",
    )
    consent = consents.create_consent(world, bank, request)
    consents.approve(world, consent, customer, [account.id])
    details = {
        "bank": bank.id,
        "account": account.id,
        "consent": consent.id,
        "transactions": len(world.transactions[account.id]),
    }
    print(json.dumps(details), flush=True)
    app = create_app(world, partner_secret=secrets.token_hex(16))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    url: str
    bank: str
    account: str
    consent: str
    transactions: int


def start_sandbox(today: date) -> Served:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sandbox", "--serve", str(port), "--today", today.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise RuntimeError("the sandbox process exited before serving")
    details = json.loads(line)
    url = f"http://127.0.0.1:{port}"
    served = Served(
        process,
        url,
        details["bank"],
        details["account"],
        details["consent"],
        details["transactions"],
    )
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=url, trust_env=False) as http:
        while True:
            try:
                http.get("/banks", timeout=1)
                return served
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    stop_sandbox(served)
                    raise RuntimeError("the sandbox did not start listening") from None
                time.sleep(0.1)


def stop_sandbox(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


# -- load -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadRun:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    first_error: str | None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000


async def load(
    url: str, paths: list[str], headers: dict[str, str], *, seconds: float, clients: int
) -> LoadRun:
    """``clients`` concurrent clients each fetching ``paths`` in turn for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal errors, first_error
        async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=30) as http:
            turn = offset
            while time.perf_counter() < deadline:
                path = paths[turn % len(paths)]
                turn += clients
                started = time.perf_counter()
                response = await http.get(
                    path, headers={**headers, "X-Request-ID": str(uuid.uuid4())}
                )
                elapsed = time.perf_counter() - started
                if response.status_code == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1
                    first_error = first_error or f"{response.status_code} {response.text[:200]}"

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return LoadRun(len(latencies), errors, time.perf_counter() - started, latencies, first_error)


def page_paths(served: Served, today: date) -> list[str]:
    date_from = (today - timedelta(days=600)).isoformat()
    pages = max(1, (served.transactions + 99) // 100)
    base = f"/banks/{served.bank}/v1/accounts/{served.account}/transactions"
    return [
        f"{base}?bookingStatus=both&dateFrom={date_from}&pageIndex={page}" for page in range(pages)
    ]


# -- report ---------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    today: date = args.today or datetime.now(UTC).date()
    if args.serve is not None:
        serve(args.serve, today)
        return

    console = Console(width=120)
    console.print(f"generator: {args.runs} runs of generate_world(seed={SEED}) ...")
    generator_runs = [run_generator(today) for _ in range(args.runs)]

    served = start_sandbox(today)
    try:
        pages = page_paths(served, today)
        page_headers = {"Consent-ID": served.consent, "PSU-IP-Address": PSU_IP}
        status_path = [f"/banks/{served.bank}/v1/consents/{served.consent}/status"]
        page_runs: list[LoadRun] = []
        status_runs: list[LoadRun] = []
        asyncio.run(load(served.url, pages, page_headers, seconds=1.0, clients=args.clients))
        for run in range(1, args.runs + 1):
            console.print(
                f"load run {run}/{args.runs}: {args.clients} clients, {args.seconds} s each"
            )
            page_runs.append(
                asyncio.run(
                    load(
                        served.url, pages, page_headers, seconds=args.seconds, clients=args.clients
                    )
                )
            )
            status_runs.append(
                asyncio.run(
                    load(served.url, status_path, {}, seconds=args.seconds, clients=args.clients)
                )
            )
    finally:
        stop_sandbox(served)

    generator = Table(title=f"Generator (median of {args.runs} runs)")
    for column in ("world", "transactions", "seconds", "transactions/s"):
        generator.add_column(column, justify="left" if column == "world" else "right")
    first = generator_runs[0]
    generator.add_row(
        f"generate_world(seed={SEED}): {first.banks} banks, {first.customers} customers, 18 months",
        f"{generator_runs[0].transactions:,}",
        f"{median([r.seconds for r in generator_runs]):.2f}",
        f"{median([r.per_second for r in generator_runs]):,.0f}",
    )
    console.print(generator)

    load_setup = f"{args.clients} clients, {args.seconds:g} s per run"
    table = Table(title=f"HTTP, {load_setup} (median of {args.runs} runs)")
    for column in ("endpoint", "requests", "requests/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for name, runs in (
        (
            f"transactions page (100 of {served.transactions}, {len(pages)} pages in turn)",
            page_runs,
        ),
        ("consent status (baseline)", status_runs),
    ):
        table.add_row(
            name,
            f"{median([float(r.requests) for r in runs]):,.0f}",
            f"{median([r.per_second for r in runs]):,.0f}",
            f"{median([r.percentile_ms(50) for r in runs]):.1f}",
            f"{median([r.percentile_ms(99) for r in runs]):.1f}",
            f"{sum(r.errors for r in runs)}",
        )
    console.print(table)
    page_rate = median([r.per_second for r in page_runs])
    if page_rate > 0:
        ratio = median([r.per_second for r in status_runs]) / page_rate
        console.print(f"baseline / transactions page throughput: {ratio:.1f}x")
    failed = [r for r in page_runs + status_runs if r.errors]
    if failed:
        console.print(f"[red]failed requests, first answer: {failed[0].first_error}[/red]")
        sys.exit(1)


if __name__ == "__main__":
    main()
