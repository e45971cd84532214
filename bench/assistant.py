"""Assistant benchmark: how well and how fast the NLU understands, and how long people wait
for "Wie ist mein Kontostand?" over the WebSocket.

Run with ``python -m bench.assistant`` (``--nlu-only`` skips the round trip).

Understanding (in this process): the model is built from the repo's examples (timed),
then scored on the held-out set (intent accuracy per language, entity accuracy). Parse
time is measured per utterance over the held-out texts (``Nlu.parse``, entities
included), and batch throughput with ``Nlu.parse_many``.

Round trip: the platform runs embedded (SQLite, in-process bus) with the sandbox banks in
a child process, so this process (the load generator) does not share its interpreter
lock. Set-up, not timed: N people sign up and link a sandbox bank through its real SCA
pages. Each person keeps a socket open to their assistant chat. The round trip runs from
just before the ``send`` frame with "Wie ist mein Kontostand?" is written to the read of
the assistant's balance card. Two loads: paced (questions arrive at a fixed aggregate
rate, evenly spread over the people; a person never has two questions open) and
closed-loop (every person asks again as soon as the answer arrives: the capacity).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import websockets
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection

from bench.chat import (
    CSRF_HEADER,
    PASSWORD,
    SESSION_COOKIE,
    bounded,
    cpu_seconds,
    median,
    memory_mib,
    nearest_rank,
    open_socket,
)
from bench.platform_process import (
    Served,
    bench_settings,
    serve_until_stopped,
    start_platform,
    stop_platform,
)

QUESTION = "Wie ist mein Kontostand?"
HELD_OUT_TODAY = date(2026, 11, 23)
SETUP_CONCURRENCY = 4
BANK_COUNT = 4  # the sandbox's banks
WORLD_SEED = 7

console = Console()


# -- understanding ----------------------------------------------------------------------


@dataclass
class NluFigures:
    build_s: float
    accuracy: dict[str, float]
    entity_accuracy: dict[str, float]
    examples: dict[str, int]
    parse_ms_p50: float
    parse_ms_p99: float
    batch_per_s: float
    utterances: int


def nlu_figures(passes: int) -> NluFigures:
    from bankchat.assistant.nlu.evaluation import HELDOUT_BANKS, evaluate
    from bankchat.assistant.nlu.examples import PACKAGE_DATA_DIR, load_dataset
    from bankchat.assistant.nlu.model_cache import load_or_build
    from bankchat.assistant.nlu.pipeline import Nlu

    start = time.perf_counter()
    # Built afresh (no cache, no per-process memo), so every run times a whole build.
    nlu = Nlu(load_or_build(None, PACKAGE_DATA_DIR))
    build_s = time.perf_counter() - start
    heldout = load_dataset(PACKAGE_DATA_DIR).heldout
    report = evaluate(nlu, heldout, HELD_OUT_TODAY)
    texts = [example.text for example in heldout]

    timings: list[float] = []
    for _ in range(passes):
        for text in texts:
            began = time.perf_counter_ns()
            nlu.parse(text, today=HELD_OUT_TODAY, banks=HELDOUT_BANKS)
            timings.append((time.perf_counter_ns() - began) / 1e6)
    timings.sort()

    start = time.perf_counter()
    for _ in range(passes):
        nlu.parse_many(texts, today=HELD_OUT_TODAY, banks=HELDOUT_BANKS)
    batch_per_s = passes * len(texts) / (time.perf_counter() - start)
    return NluFigures(
        build_s=build_s,
        accuracy={lang: report.overall[lang].accuracy for lang in ("de", "en")},
        entity_accuracy={lang: report.entities_exact[lang].accuracy for lang in ("de", "en")},
        examples={lang: report.overall[lang].count for lang in ("de", "en")},
        parse_ms_p50=nearest_rank(timings, 50),
        parse_ms_p99=nearest_rank(timings, 99),
        batch_per_s=batch_per_s,
        utterances=len(timings),
    )


def nlu_table(runs: list[NluFigures]) -> Table:
    table = Table(title=f"Understanding (median of {len(runs)} runs)")
    table.add_column("measure")
    table.add_column("value", justify="right")

    table.add_row("model build (s)", f"{median(r.build_s for r in runs):.2f}")
    for lang in ("de", "en"):
        table.add_row(
            f"held-out intent accuracy, {lang} (n={runs[0].examples[lang]})",
            f"{median(r.accuracy[lang] for r in runs):.3f}",
        )
        table.add_row(
            f"held-out entity accuracy, {lang}",
            f"{median(r.entity_accuracy[lang] for r in runs):.3f}",
        )
    table.add_row("parse per utterance p50 (ms)", f"{median(r.parse_ms_p50 for r in runs):.3f}")
    table.add_row("parse per utterance p99 (ms)", f"{median(r.parse_ms_p99 for r in runs):.3f}")
    table.add_row("batch throughput (utterances/s)", f"{median(r.batch_per_s for r in runs):,.0f}")
    return table


# -- the served platform (child process) ------------------------------------------------


def serve(port: int, data_dir: Path, customers_per_bank: int) -> None:
    """Serve the sandbox banks and an embedded platform; print port, PID and logins once up."""
    from tests.conftest import serve as serve_sandbox

    from bankchat.app import create_app
    from bankchat.assistant.nlu import load_nlu
    from bankchat.cli import bank_entries_for
    from bankchat.sandbox.generator import generate_world
    from bankchat.server import open_platform

    # A consent replaces the customer's former one at the bank (NextGenPSD2), so every
    # person gets a customer of their own: PEOPLE_PER_BANK customers at each bank.
    world = generate_world(WORLD_SEED, today=date.today(), customers_per_bank=customers_per_bank)
    logins = [[c.bank_id, c.login, c.password] for c in world.customers.values()]
    sandbox = serve_sandbox(world, clearing_interval=3600.0)
    live = next(sandbox)
    banks = bank_entries_for(world.banks.values(), live.url, None)

    # Built (or loaded) before serving, so no question waits for the model.
    load_nlu(data_dir)

    async def run() -> None:
        settings = bench_settings(port, data_dir)
        async with open_platform(settings, banks, clock=world.clock) as platform:
            await serve_until_stopped(create_app(platform, background=False), port, logins=logins)

    try:
        asyncio.run(run())
    finally:
        sandbox.close()


def start_assistant_platform(people: int) -> Served:
    customers_per_bank = -(-people // BANK_COUNT)
    return start_platform("bench.assistant", ["--customers-per-bank", str(customers_per_bank)])


# -- set-up: people with a linked bank ----------------------------------------------------


@dataclass
class Asker:
    index: int
    id: str = ""
    session: str = ""
    conversation_id: str = ""
    seq: int = 0


async def set_up(served: Served, count: int) -> list[Asker]:
    from tests.platform_support import Person, at_bank, come_back, start_link

    url = served.url

    tag = uuid.uuid4().hex[:8]
    askers = [Asker(i) for i in range(count)]

    async def one(asker: Asker) -> None:
        api = httpx.AsyncClient(base_url=url, trust_env=False, timeout=60)
        try:
            response = await api.post(
                "/api/v1/auth/signup",
                json={
                    "email": f"assistant-{tag}-{asker.index}@bench.example",
                    "displayName": f"Bench {asker.index}",
                    "password": PASSWORD,
                    "language": "de",
                },
            )
            response.raise_for_status()
            body = response.json()
            api.headers[CSRF_HEADER] = body["csrfToken"]
            asker.id = body["person"]["id"]
            asker.session = response.cookies[SESSION_COOKIE]
            person = Person(api=api, id=asker.id, email=f"{tag}-{asker.index}")
            bank, login, password = served.ready["logins"][asker.index]
            sca_url = await start_link(person, bank)
            back = await come_back(person, await at_bank(sca_url, login, password, "approve"))
            if "link=linked" not in back.headers.get("location", ""):
                raise RuntimeError(f"linking failed: {back.headers.get('location')}")
            conversations = (await api.get("/api/v1/conversations")).json()
            [assistant] = [c for c in conversations if c["kind"] == "assistant"]
            asker.conversation_id = assistant["id"]
        finally:
            await api.aclose()

    await bounded(SETUP_CONCURRENCY, (lambda a=a: one(a) for a in askers))
    return askers


# -- the round trip ---------------------------------------------------------------------


@dataclass
class Load:
    window_start: float
    window_end: float
    closed_loop: bool
    asked_at: dict[int, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    stopping: bool = False

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def ask(socket_: ClientConnection, asker: Asker, load: Load) -> None:
    frame = {
        "type": "send",
        "conversationId": asker.conversation_id,
        "clientId": f"q-{uuid.uuid4().hex}",
        "kind": "text",
        "body": {"text": QUESTION},
    }
    load.asked_at[asker.index] = time.perf_counter()
    try:
        await socket_.send(json.dumps(frame))
    except websockets.ConnectionClosed:
        load.asked_at.pop(asker.index, None)
        load.error("closed")


async def listen(socket_: ClientConnection, asker: Asker, load: Load) -> None:
    """Read one person's socket; the assistant's first card after a question answers it."""
    try:
        async for raw in socket_:
            arrived = time.perf_counter()
            frame = json.loads(raw)
            if frame["type"] == "ping":
                await socket_.send('{"type":"pong"}')
            elif frame["type"] == "error":
                load.asked_at.pop(asker.index, None)
                load.error(frame.get("code", "error"))
            elif frame["type"] == "message":
                message = frame["message"]
                if message["senderId"] != "assistant" or message["kind"] != "card":
                    continue
                asked = load.asked_at.pop(asker.index, None)
                if asked is None:
                    continue
                if message["body"]["card"].get("type") != "balance":
                    load.error("not a balance card")
                if load.window_start <= arrived < load.window_end:
                    load.latencies_ms.append((arrived - asked) * 1000)
                if load.closed_loop and not load.stopping:
                    await ask(socket_, asker, load)
    except websockets.ConnectionClosed as closed:
        if not load.stopping:
            load.error(f"closed {closed.rcvd.code if closed.rcvd else ''}".strip())


@dataclass
class Result:
    label: str
    rate: float | None
    answered: int
    window_s: float
    latencies_ms: list[float]
    errors: dict[str, int]
    unanswered: int
    server_cpu_pct: float
    rss_mib: float

    @property
    def per_s(self) -> float:
        return self.answered / self.window_s

    def pct(self, q: float) -> float:
        return nearest_rank(sorted(self.latencies_ms), q)


async def run_load(
    served: Served,
    askers: list[Asker],
    *,
    rate: float | None,
    warmup: float,
    duration: float,
) -> Result:
    """``rate`` questions per second in all (paced), or None for the closed loop."""
    sockets = {}

    async def open_for(asker: Asker) -> None:
        sockets[asker.index] = await open_socket(served.url, asker.session, asker.conversation_id)

    await bounded(16, (lambda a=a: open_for(a) for a in askers))
    start = time.perf_counter()
    load = Load(start + warmup, start + warmup + duration, closed_loop=rate is None)
    readers = [asyncio.create_task(listen(sockets[a.index], a, load)) for a in askers]

    async def pace() -> None:
        assert rate is not None
        interval = 1 / rate
        next_at = time.perf_counter()
        turn = 0
        while time.perf_counter() < load.window_end:
            # The next person who has no open question, round robin.
            for step in range(len(askers)):
                asker = askers[(turn + step) % len(askers)]
                if asker.index not in load.asked_at:
                    turn += step + 1
                    await ask(sockets[asker.index], asker, load)
                    break
            else:
                load.error("everyone busy")
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def first_asks() -> None:
        for asker in askers:
            await asyncio.sleep(random.uniform(0, warmup / len(askers)))
            await ask(sockets[asker.index], asker, load)

    driver = asyncio.create_task(pace() if rate is not None else first_asks())
    await asyncio.sleep(max(0.0, load.window_start - time.perf_counter()))
    cpu = cpu_seconds(served.pid)
    await asyncio.sleep(max(0.0, load.window_end - time.perf_counter()))
    cpu = cpu_seconds(served.pid) - cpu
    load.stopping = True
    await driver
    deadline = time.perf_counter() + 10
    while load.asked_at and time.perf_counter() < deadline:  # noqa: ASYNC110 (a drain poll)
        await asyncio.sleep(0.05)
    rss, _ = memory_mib(served.pid)
    for socket_ in sockets.values():
        await socket_.close()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return Result(
        label=f"paced {rate:g}/s" if rate is not None else "closed loop",
        rate=rate,
        answered=len(load.latencies_ms),
        window_s=duration,
        latencies_ms=load.latencies_ms,
        errors=load.errors,
        unanswered=len(load.asked_at),
        server_cpu_pct=100 * cpu / duration,
        rss_mib=rss,
    )


def round_trip_table(runs: list[list[Result]], people: int) -> Table:
    table = Table(title=f'"{QUESTION}", {people} people (median of {len(runs)} runs)')
    for column in ("load", "answers/s", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right")
    table.add_column("server CPU", justify="right")
    table.add_column("CPU ms/answer", justify="right")
    table.add_column("errors", justify="right")
    for position, first in enumerate(runs[0]):
        results = [run[position] for run in runs]
        per_s = median(r.per_s for r in results)
        cpu = median(r.server_cpu_pct for r in results)
        table.add_row(
            first.label,
            f"{per_s:.1f}",
            f"{median(r.pct(50) for r in results):.1f}",
            f"{median(r.pct(90) for r in results):.1f}",
            f"{median(r.pct(99) for r in results):.1f}",
            f"{median(max(r.latencies_ms, default=float('nan')) for r in results):.1f}",
            f"{cpu:.0f} %",
            f"{10 * cpu / per_s:.1f}" if per_s else "-",
            str(sum(sum(r.errors.values()) + r.unanswered for r in results)),
        )
    return table


def round_trips(
    people: int, rates: list[float], runs: int, warmup: float, duration: float
) -> list[list[Result]]:
    every_run = []
    for number in range(runs):
        load_average = os.getloadavg()[0]
        served = start_assistant_platform(people)
        try:
            began = time.perf_counter()
            askers = asyncio.run(set_up(served, people))
            console.print(
                f"run {number + 1}: set-up of {people} people with a linked bank took "
                f"{time.perf_counter() - began:.1f} s (load average {load_average:.1f})"
            )
            results = []
            for rate in [*rates, None]:
                results.append(
                    asyncio.run(
                        run_load(served, askers, rate=rate, warmup=warmup, duration=duration)
                    )
                )
            every_run.append(results)
        finally:
            stop_platform(served)
    return every_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--rates", default="20,50,100", help="paced question rates per second")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--passes", type=int, default=5, help="parse passes over the held-out")
    parser.add_argument("--nlu-only", action="store_true")
    parser.add_argument(
        "--round-trips-only", action="store_true", help="skip the understanding figures"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--customers-per-bank", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.data_dir, args.customers_per_bank)
        return

    if not args.round_trips_only:
        console.print(nlu_table([nlu_figures(args.passes) for _ in range(args.runs)]))
    if args.nlu_only:
        return
    rates = [float(r) for r in args.rates.split(",") if r]
    runs = round_trips(args.people, rates, args.runs, args.warmup, args.duration)
    console.print(round_trip_table(runs, args.people))
    errors: dict[str, int] = {}
    for run in runs:
        for result in run:
            for kind, n in result.errors.items():
                errors[kind] = errors.get(kind, 0) + n
    if errors:
        console.print(f"errors by kind: {errors}")
    console.print(f"server RSS at the end: {max(r.rss_mib for run in runs for r in run):.0f} MiB")


if __name__ == "__main__":
    main()
