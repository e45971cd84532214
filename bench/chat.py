"""Chat delivery benchmark: people chatting in pairs over the WebSocket protocol, and the
same ping-pong against the Matrix Synapse peer for a ratio.

Run with ``python -m bench.chat`` (``--synapse`` adds the peer, alternating runs). The
platform runs embedded (SQLite in a temporary data directory, in-process bus) in a child
process, so the load generator does not share its interpreter lock. Set-up, not timed:
2N people sign up, each pair opens its direct conversation. Each scenario then opens one
socket per person of its first k pairs and plays ping-pong with one message in flight
per pair: A sends, and the moment B's socket reads that ``message`` frame B sends the next
one back. Latency runs from just before the ``send`` frame is written to the receiver's
read of the ``message`` frame. The first sends are spread over the warm-up; deliveries
inside the window count. The definitions are those of the peer's
``/work/shared/peers/synapse/README.md`` ("Comparing bankchat against this").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import http.cookiejar
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection

# Benchmark data only: a fixed key so the child needs no key file. The password has no
# digits, so no "Bench <n>" display name is ever part of it.
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
PASSWORD = "Tq-vimle-Zorbat-Quxo!"
SESSION_COOKIE = "bankchat_session"
CSRF_HEADER = "X-CSRF-Token"
SETUP_CONCURRENCY = 8
SETUP_RETRIES = 5
SOCKET_OPEN_CONCURRENCY = 32
SCENARIO_TIMEOUT = 120.0
PEER_DIR = Path("/tmp/synapse-peer")
PEER_BENCH = Path("/work/shared/peers/synapse/bench.py")
PEER_RECORDED = Path("/work/shared/peers/synapse/results-2026-11-23.jsonl")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the served platform (child process) ----------------------------------------------


def serve(port: int, data_dir: Path) -> None:
    """Serve an embedded platform on ``port``; print the port and PID once listening."""
    from pydantic import SecretStr

    from bankchat.app import create_app
    from bankchat.config import Settings
    from bankchat.server import open_platform, uvicorn_server

    settings = Settings(
        data_dir=data_dir,
        port=port,
        password_hash_profile="light",
        master_key=SecretStr(MASTER_KEY),
        log_level="WARNING",
    )

    async def run() -> None:
        async with open_platform(settings, banks=[]) as platform:
            app = create_app(platform, background=False)
            # The product's server settings, as `bankchat serve` uses them.
            server = uvicorn_server(app, host="127.0.0.1", port=port, log_level="warning")
            server.config.access_log = False
            task = asyncio.create_task(server.serve())
            while not server.started:
                if task.done():
                    await task
                    return
                await asyncio.sleep(0.05)
            print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)
            await task

    asyncio.run(run())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    pid: int
    data_dir: tempfile.TemporaryDirectory[str]


def start_platform() -> Served:
    data_dir = tempfile.TemporaryDirectory(prefix="bankchat-bench-chat-")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.chat", "--serve", str(port), "--data-dir", data_dir.name],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        data_dir.cleanup()
        raise RuntimeError("the platform process exited before serving")
    ready = json.loads(line)
    return Served(process, f"http://127.0.0.1:{ready['port']}", int(ready["pid"]), data_dir)


def stop_platform(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
    served.data_dir.cleanup()


# -- /proc readings -------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    # Fields after the parenthesised command name; utime and stime are 14th and 15th.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mib(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak RSS) in MiB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


# -- set-up ---------------------------------------------------------------------------


@dataclass
class Person:
    index: int
    id: str = ""
    session: str = ""
    csrf: str = ""


@dataclass
class Pair:
    a: Person
    b: Person
    conversation_id: str = ""


async def bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[None]]]) -> None:
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


def cookieless_client(url: str) -> httpx.AsyncClient:
    # Every request names its person's session; a shared jar would mix them up.
    jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(base_url=url, cookies=jar, trust_env=False, timeout=60)


async def set_up(url: str, pairs: int) -> list[Pair]:
    tag = uuid.uuid4().hex[:8]
    people = [Person(i) for i in range(2 * pairs)]
    async with cookieless_client(url) as client:

        async def sign_up(person: Person) -> None:
            body = {
                "email": f"chat-{tag}-{person.index}@bench.example",
                "displayName": f"Bench {person.index}",
                "password": PASSWORD,
            }
            response = await client.post("/api/v1/auth/signup", json=body)
            # Concurrent sign-ups on SQLite sometimes fail with "database is locked" (a
            # 500); set-up is not measured, so try again rather than give up.
            for _ in range(SETUP_RETRIES):
                if response.status_code != 500:
                    break
                await asyncio.sleep(0.2)
                response = await client.post("/api/v1/auth/signup", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"sign-up refused: {response.status_code} {response.text}")
            person.id = response.json()["person"]["id"]
            person.csrf = response.json()["csrfToken"]
            person.session = response.cookies[SESSION_COOKIE]

        await bounded(SETUP_CONCURRENCY, (lambda p=p: sign_up(p) for p in people))
        chat_pairs = [Pair(people[2 * i], people[2 * i + 1]) for i in range(pairs)]

        async def open_direct(pair: Pair) -> None:
            response = await client.post(
                "/api/v1/conversations",
                json={"personId": pair.b.id},
                headers={
                    "Cookie": f"{SESSION_COOKIE}={pair.a.session}",
                    CSRF_HEADER: pair.a.csrf,
                },
            )
            response.raise_for_status()
            pair.conversation_id = response.json()["id"]

        await bounded(SETUP_CONCURRENCY, (lambda p=p: open_direct(p) for p in chat_pairs))
    return chat_pairs


# -- the scenario ---------------------------------------------------------------------


@dataclass
class Result:
    pairs: int
    clients: int
    window_s: float
    delivered: int
    latencies_ms: list[float]
    errors: dict[str, int]
    undelivered: int
    server_cpu_pct: float
    client_cpu_pct: float
    rss_mib: float
    hwm_mib: float
    socket_open_s: float
    ack_ms_p50: float

    @property
    def msgs_per_s(self) -> float:
        return self.delivered / self.window_s

    def latency(self, q: float) -> float:
        return nearest_rank(sorted(self.latencies_ms), q)

    def as_json(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "clients": self.clients,
            "window_s": self.window_s,
            "delivered": self.delivered,
            "msgs_per_s": round(self.msgs_per_s, 1),
            "latency_ms": {
                name: round(self.latency(q), 2)
                for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
            },
            "ack_ms_p50": round(self.ack_ms_p50, 2),
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "undelivered_after_drain": self.undelivered,
            "server_cpu_pct": round(self.server_cpu_pct, 1),
            "server_cpu_ms_per_msg": round(
                self.server_cpu_pct * 10 * self.window_s / max(self.delivered, 1), 2
            ),
            "client_cpu_pct": round(self.client_cpu_pct, 1),
            "server_rss_mib": round(self.rss_mib, 1),
            "server_hwm_mib": round(self.hwm_mib, 1),
            "socket_open_s": round(self.socket_open_s, 2),
        }


def nearest_rank(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class PingPong:
    """One scenario's shared state: what is in flight, what arrived, and when to stop."""

    window_start: float
    window_end: float
    sent_at: dict[str, float] = field(default_factory=dict)
    acked_at: dict[str, float] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    stopping: bool = False
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def send(socket_: ClientConnection, state: PingPong, conversation_id: str) -> None:
    client_id = f"b-{uuid.uuid4().hex}"
    frame = json.dumps(
        {
            "type": "send",
            "conversationId": conversation_id,
            "clientId": client_id,
            "kind": "text",
            "body": {"text": "ping"},
        }
    )
    state.sent_at[client_id] = time.perf_counter()
    try:
        await socket_.send(frame)
    except websockets.ConnectionClosed:
        state.sent_at.pop(client_id, None)
        state.error("closed")


async def receive(
    socket_: ClientConnection, me: Person, conversation_id: str, state: PingPong
) -> None:
    """Read one person's socket; answer each message from the other with the next one."""
    try:
        async for raw in socket_:
            arrived = time.perf_counter()
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "message":
                message = frame["message"]
                if message["senderId"] == me.id:
                    continue
                sent = state.sent_at.pop(message["clientId"], None)
                if sent is None:
                    state.error("unexpected message")
                    continue
                if state.window_start <= arrived < state.window_end:
                    state.latencies_ms.append((arrived - sent) * 1000)
                if not state.stopping and arrived < state.window_end:
                    await send(socket_, state, conversation_id)
                elif not state.sent_at:
                    state.all_arrived.set()
            elif kind == "ack":
                sent = state.sent_at.get(frame["clientId"])
                if sent is not None and state.window_start <= arrived < state.window_end:
                    state.ack_ms.append((arrived - sent) * 1000)
            elif kind == "ping":
                await socket_.send('{"type":"pong"}')
            elif kind == "error":
                # A refused send ends its pair's ping-pong: an error, not a lost message.
                state.sent_at.pop(frame.get("clientId", ""), None)
                state.error(frame.get("code", "error"))
    except websockets.ConnectionClosed as closed:
        if not state.stopping:
            state.error(f"closed {closed.rcvd.code if closed.rcvd else ''}".strip())


async def open_socket(url: str, person: Person, conversation_id: str) -> ClientConnection:
    socket_ = await websockets.connect(
        url.replace("http://", "ws://") + "/api/v1/ws",
        additional_headers={"Cookie": f"{SESSION_COOKIE}={person.session}"},
        origin=websockets.Origin(url),
        max_queue=None,
        compression=None,
        open_timeout=60,
    )
    # Resuming from 0 releases live events at once instead of after the grace period.
    await socket_.send(json.dumps({"type": "resume", "conversations": {conversation_id: 0}}))
    async for raw in socket_:
        if json.loads(raw)["type"] == "resumed":
            return socket_
    raise RuntimeError("socket closed before resuming")


async def run_scenario(
    served: Served, pairs: list[Pair], *, warmup: float, duration: float, drain: float
) -> Result:
    opened_at = time.perf_counter()
    sockets: dict[int, ClientConnection] = {}

    async def open_for(person: Person, conversation_id: str) -> None:
        sockets[person.index] = await open_socket(served.url, person, conversation_id)

    await bounded(
        SOCKET_OPEN_CONCURRENCY,
        (
            lambda p=p, c=pair.conversation_id: open_for(p, c)
            for pair in pairs
            for p in (pair.a, pair.b)
        ),
    )
    socket_open_s = time.perf_counter() - opened_at

    start = time.perf_counter()
    state = PingPong(window_start=start + warmup, window_end=start + warmup + duration)
    readers = [
        asyncio.create_task(receive(sockets[p.index], p, pair.conversation_id, state))
        for pair in pairs
        for p in (pair.a, pair.b)
    ]

    async def first_send(pair: Pair) -> None:
        await asyncio.sleep(random.uniform(0, warmup))
        await send(sockets[pair.a.index], state, pair.conversation_id)

    starters = [asyncio.create_task(first_send(pair)) for pair in pairs]
    await asyncio.sleep(max(0.0, state.window_start - time.perf_counter()))
    server_cpu, client_cpu = cpu_seconds(served.pid), time.process_time()
    await asyncio.sleep(max(0.0, state.window_end - time.perf_counter()))
    server_cpu = cpu_seconds(served.pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    state.stopping = True
    await asyncio.gather(*starters)
    if state.sent_at:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.all_arrived.wait(), drain)
    rss, hwm = memory_mib(served.pid)
    undelivered = len(state.sent_at)
    for socket_ in sockets.values():
        await socket_.close()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return Result(
        pairs=len(pairs),
        clients=2 * len(pairs),
        window_s=duration,
        delivered=len(state.latencies_ms),
        latencies_ms=state.latencies_ms,
        errors=state.errors,
        undelivered=undelivered,
        server_cpu_pct=100 * server_cpu / duration,
        client_cpu_pct=100 * client_cpu / duration,
        rss_mib=rss,
        hwm_mib=hwm,
        socket_open_s=socket_open_s,
        ack_ms_p50=statistics.median(state.ack_ms) if state.ack_ms else float("nan"),
    )


@dataclass
class Run:
    load_average: float
    setup_s: float
    results: list[Result]


def bankchat_run(pair_counts: list[int], *, warmup: float, duration: float, drain: float) -> Run:
    load_average = os.getloadavg()[0]
    served = start_platform()
    try:

        async def scenarios() -> Run:
            started = time.perf_counter()
            pairs = await set_up(served.url, max(pair_counts))
            setup_s = time.perf_counter() - started
            results = []
            for count in pair_counts:
                results.append(
                    await asyncio.wait_for(
                        run_scenario(
                            served, pairs[:count], warmup=warmup, duration=duration, drain=drain
                        ),
                        SCENARIO_TIMEOUT,
                    )
                )
            return Run(load_average, setup_s, results)

        return asyncio.run(scenarios())
    finally:
        stop_platform(served)


# -- the peer -------------------------------------------------------------------------


def synapse_run(pairs: str, duration: float) -> dict[str, Any] | None:
    """One run of the peer's own harness; its JSON line, or None if it failed."""
    load_average = os.getloadavg()[0]
    completed = subprocess.run(
        [
            str(PEER_DIR / "venv/bin/python"),
            str(PEER_BENCH),
            "--pairs",
            pairs,
            "--duration",
            f"{duration:g}",
        ],
        capture_output=True,
        text=True,
        timeout=320,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith("{"):
            peer: dict[str, Any] = json.loads(line)
            peer["load_average"] = load_average
            return peer
    return None


def recorded_peer() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PEER_RECORDED.read_text().splitlines() if line.strip()]


# -- report ---------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def bankchat_table(runs: list[Run], pair_counts: list[int], duration: float) -> Table:
    table = Table(title=f"bankchat ping-pong, {duration:g} s window (median of {len(runs)} runs)")
    for column in (
        "pairs",
        "clients",
        "msgs/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "ack p50",
        "srv CPU %",
        "cli CPU %",
        "RSS MiB",
        "HWM MiB",
        "errors",
        "undeliv.",
        "per run msgs/s (p99)",
    ):
        table.add_column(column, justify="right")
    for index, count in enumerate(pair_counts):
        results = [run.results[index] for run in runs]
        table.add_row(
            str(count),
            str(2 * count),
            f"{median(r.msgs_per_s for r in results):,.0f}",
            f"{median(r.latency(50) for r in results):.1f}",
            f"{median(r.latency(90) for r in results):.1f}",
            f"{median(r.latency(99) for r in results):.1f}",
            f"{median(r.latency(100) for r in results):.1f}",
            f"{median(r.ack_ms_p50 for r in results):.1f}",
            f"{median(r.server_cpu_pct for r in results):.0f}",
            f"{median(r.client_cpu_pct for r in results):.0f}",
            f"{median(r.rss_mib for r in results):.0f}",
            f"{median(r.hwm_mib for r in results):.0f}",
            str(sum(sum(r.errors.values()) for r in results)),
            str(sum(r.undelivered for r in results)),
            ", ".join(f"{r.msgs_per_s:,.0f} ({r.latency(99):.1f})" for r in results),
        )
    return table


def peer_figures(peer_runs: list[dict[str, Any]], pairs: int) -> tuple[float, float] | None:
    """Median msgs/s and p99 ms of the peer's scenario with ``pairs`` pairs."""
    matches = [
        result
        for run in peer_runs
        for result in run["results"]
        if result["pairs"] == pairs and result["delivered"]
    ]
    if not matches:
        return None
    return (
        median(r["msgs_per_s"] for r in matches),
        median(r["latency_ms"]["p99"] for r in matches),
    )


def ratio_table(
    runs: list[Run], pair_counts: list[int], peer_runs: list[dict[str, Any]], label: str
) -> Table:
    table = Table(title=f"bankchat / Synapse ({label})")
    for column in (
        "bankchat pairs",
        "Synapse pairs",
        "bankchat msgs/s",
        "Synapse msgs/s",
        "ratio msgs/s",
        "bankchat p99 ms",
        "Synapse p99 ms",
        "Synapse p99 / bankchat p99",
    ):
        table.add_column(column, justify="right")
    peer_pairs = sorted({r["pairs"] for run in peer_runs for r in run["results"]})
    for index, count in enumerate(pair_counts):
        # Synapse was not run beyond 200 pairs; the largest scenarios are compared with a
        # stated caveat.
        compared = count if count in peer_pairs else max(peer_pairs, default=0)
        figures = peer_figures(peer_runs, compared)
        if figures is None:
            continue
        results = [run.results[index] for run in runs]
        rate = median(r.msgs_per_s for r in results)
        p99 = median(r.latency(99) for r in results)
        table.add_row(
            str(count),
            str(compared) + ("" if compared == count else " (!)"),
            f"{rate:,.0f}",
            f"{figures[0]:.1f}",
            f"{rate / figures[0]:,.0f}x",
            f"{p99:.1f}",
            f"{figures[1]:,.1f}",
            f"{figures[1] / p99:,.0f}x",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", default="1,50,500", help="pair counts, one scenario each")
    parser.add_argument("--runs", type=int, default=3, help="runs (median)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured window, s")
    parser.add_argument("--warmup", type=float, default=3.0, help="uncounted start, s")
    parser.add_argument("--drain", type=float, default=10.0, help="wait for in-flight, s")
    parser.add_argument(
        "--synapse", action="store_true", help="alternate each run with the Synapse peer"
    )
    parser.add_argument("--synapse-pairs", default="1,50,200", help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.data_dir)
        return

    console = Console(width=160)
    pair_counts = [int(p) for p in args.pairs.split(",") if p.strip()]
    peer_live = args.synapse and (PEER_DIR / "venv/bin/python").exists()
    if args.synapse and not peer_live:
        console.print(f"[yellow]no Synapse peer at {PEER_DIR}: using recorded figures[/yellow]")
    runs: list[Run] = []
    peer_runs: list[dict[str, Any]] = []
    for number in range(1, args.runs + 1):
        console.print(f"bankchat run {number}/{args.runs}: pairs {pair_counts} ...")
        run = bankchat_run(
            pair_counts, warmup=args.warmup, duration=args.duration, drain=args.drain
        )
        runs.append(run)
        console.print(
            f"  load {run.load_average:.2f}, set-up {run.setup_s:.1f} s: "
            + "; ".join(
                f"{r.pairs} pairs {r.msgs_per_s:,.0f}/s p99 {r.latency(99):.1f} ms"
                for r in run.results
            )
        )
        if peer_live:
            console.print(f"Synapse run {number}/{args.runs}: pairs {args.synapse_pairs} ...")
            peer = synapse_run(args.synapse_pairs, args.duration)
            if peer is None:
                console.print("[red]  the Synapse run printed no JSON line[/red]")
            else:
                peer_runs.append(peer)
                console.print(
                    f"  load {peer['load_average']:.2f}: "
                    + "; ".join(
                        f"{r['pairs']} pairs {r['msgs_per_s']}/s p99 {r['latency_ms']['p99']} ms"
                        for r in peer["results"]
                    )
                )

    console.print(bankchat_table(runs, pair_counts, args.duration))
    if args.synapse:
        label = "same sitting, alternating" if peer_runs else "Synapse recorded 2026-11-23"
        console.print(ratio_table(runs, pair_counts, peer_runs or recorded_peer(), label))
    print(
        json.dumps(
            {
                "bench": "bankchat-chat",
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "cpus": os.cpu_count(),
                "warmup_s": args.warmup,
                "runs": [
                    {
                        "load_average": round(run.load_average, 2),
                        "setup_s": round(run.setup_s, 1),
                        "results": [r.as_json() for r in run.results],
                    }
                    for run in runs
                ],
                "synapse_runs": peer_runs,
            }
        )
    )
    if any(r.errors or r.undelivered for run in runs for r in run.results):
        sys.exit(1)


if __name__ == "__main__":
    main()
