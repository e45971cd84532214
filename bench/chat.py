"""Chat delivery benchmark: people chatting in pairs over WebSockets, closed and open loop.

Closed loop is ping-pong (also run against the Matrix Synapse peer for a ratio); open loop
is paced: a fixed aggregate rate, and a sweep of rates.

Run with ``python -m bench.chat`` (``--synapse`` adds the peer, alternating runs). The
platform runs embedded (SQLite in a temporary data directory, in-process bus) in a child
process, so the load generator does not share its interpreter lock. Set-up, not timed:
2N people sign up, each pair opens its direct conversation.

Closed loop (``--pairs``): each scenario opens one socket per person of its first k pairs
and plays ping-pong with one message in flight per pair: A sends, and the moment B's
socket reads that ``message`` frame B sends the next one back. The first sends are spread
over the warm-up; deliveries inside the window count. The definitions are those of the
peer's ``/work/shared/peers/synapse/README.md`` ("Comparing bankchat against this"). Its
latency is bounded below by pairs / throughput (Little's law).

Paced (``--paced-pairs``, ``--sweep-rates``): the sockets of k pairs stay connected while
messages are sent at a fixed aggregate rate, whatever the deliveries do: Poisson arrivals
(or evenly spread ones, ``--arrivals even``), each to a random pair, alternating the
pair's direction. Sends scheduled inside the window count, delivered whenever they are
(undelivered ones after the drain are reported). ``lag`` is how late the load generator
wrote a send against its schedule: when it grows, the generator, not the server, is the
limit.

In both, latency runs from just before the ``send`` frame is written to the receiver's
read of the ``message`` frame. Server CPU is read from ``/proc`` for the window and
divided by the deliveries (ms per message), split into the event-loop thread and the
others (the database driver's threads). ``--profile DIR`` runs the server under cProfile
during each window and writes one ``.prof`` file per scenario (figures from such a run
are inflated by the profiler). ``--baseline-src DIR`` serves another tree's ``bankchat``
(an earlier version) in alternating runs of the same scenarios and prints the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
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

from bench.platform_process import (
    Served,
    bench_settings,
    serve_until_stopped,
    start_platform,
    stop_platform,
)

# The password has no digits, so no "Bench <n>" display name is ever part of it.
PASSWORD = "Tq-vimle-Zorbat-Quxo!"
SESSION_COOKIE = "bankchat_session"
CSRF_HEADER = "X-CSRF-Token"
SETUP_CONCURRENCY = 8
SETUP_RETRIES = 5
SOCKET_OPEN_CONCURRENCY = 32
SCENARIO_TIMEOUT = 180.0
# A sweep stops raising the rate once p99 is this far past the target: the server is
# overloaded by then and higher rates only queue.
TARGET_P99_MS = 50.0
SWEEP_STOP_P99_MS = 1000.0
PEER_DIR = Path("/tmp/synapse-peer")
PEER_BENCH = Path("/work/shared/peers/synapse/bench.py")
PEER_RECORDED = Path("/work/shared/peers/synapse/results-2026-11-23.jsonl")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the served platform (child process) ----------------------------------------------


class WindowProfiler:
    """cProfile switched on and off by SIGUSR1; each stop writes the next numbered file."""

    def __init__(self, directory: Path) -> None:
        import cProfile

        self.directory = directory
        self.profile: cProfile.Profile | None = None
        self.count = 0
        self._factory = cProfile.Profile

    def toggle(self) -> None:
        if self.profile is None:
            self.profile = self._factory()
            self.profile.enable()
            return
        self.profile.disable()
        self.count += 1
        self.profile.dump_stats(self.directory / f"window-{self.count}.prof")
        self.profile = None


def serve(port: int, data_dir: Path, profile_dir: Path | None = None) -> None:
    """Serve an embedded platform on ``port``; print the port and PID once listening."""
    from bankchat.app import create_app
    from bankchat.server import open_platform

    async def run() -> None:
        async with open_platform(bench_settings(port, data_dir), banks=[]) as platform:
            if profile_dir is not None:
                profiler = WindowProfiler(profile_dir)
                asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, profiler.toggle)
            await serve_until_stopped(create_app(platform, background=False), port)

    asyncio.run(run())


def start_chat_platform(profile_dir: Path | None = None, server_src: Path | None = None) -> Served:
    """The platform in a child process; ``server_src`` serves another tree's ``bankchat``
    (an earlier version, for a before/after comparison in one sitting)."""
    options = [] if profile_dir is None else ["--profile-dir", str(profile_dir)]
    env = None
    if server_src is not None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(server_src), str(Path(__file__).resolve().parent.parent)]
        )
    return start_platform("bench.chat", options, env=env)


# -- /proc readings -------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    # Fields after the parenthesised command name; utime and stime are 14th and 15th.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds of the process's main (event-loop) thread and of all its others."""
    main = others = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            if task.name == str(pid):
                main += seconds
            else:
                others += seconds
    return main, others


class CpuWindow:
    """Server and client CPU over one measured window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.server = cpu_seconds(pid)
        self.threads = thread_cpu_seconds(pid)
        self.client = time.process_time()
        self.started = time.perf_counter()

    def stop(self) -> tuple[float, float, float, float]:
        """Seconds of server CPU, of its loop thread, of its other threads, of the client."""
        loop_thread, others = thread_cpu_seconds(self.pid)
        return (
            cpu_seconds(self.pid) - self.server,
            loop_thread - self.threads[0],
            others - self.threads[1],
            time.process_time() - self.client,
        )


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


# -- results --------------------------------------------------------------------------


@dataclass
class Result:
    kind: str  # "closed" (ping-pong) or "paced"
    pairs: int
    clients: int
    window_s: float
    delivered: int
    latencies_ms: list[float]
    errors: dict[str, int]
    undelivered: int
    server_cpu_s: float
    loop_cpu_s: float
    other_threads_cpu_s: float
    client_cpu_s: float
    rss_mib: float
    hwm_mib: float
    socket_open_s: float
    ack_ms_p50: float
    offered_per_s: float | None = None
    lags_ms: list[float] = field(default_factory=list)

    @property
    def msgs_per_s(self) -> float:
        return self.delivered / self.window_s

    @property
    def server_cpu_pct(self) -> float:
        return 100 * self.server_cpu_s / self.window_s

    @property
    def client_cpu_pct(self) -> float:
        return 100 * self.client_cpu_s / self.window_s

    def cpu_ms_per_msg(self, seconds: float | None = None) -> float:
        spent = self.server_cpu_s if seconds is None else seconds
        return 1000 * spent / max(self.delivered, 1)

    def latency(self, q: float) -> float:
        return nearest_rank(sorted(self.latencies_ms), q)

    def lag(self, q: float) -> float:
        return nearest_rank(sorted(self.lags_ms), q) if self.lags_ms else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pairs": self.pairs,
            "clients": self.clients,
            "offered_per_s": self.offered_per_s,
            "window_s": self.window_s,
            "delivered": self.delivered,
            "msgs_per_s": round(self.msgs_per_s, 1),
            "latency_ms": {
                name: round(self.latency(q), 2)
                for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
            },
            "ack_ms_p50": round(self.ack_ms_p50, 2),
            "send_lag_ms_p99": round(self.lag(99), 2),
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "undelivered_after_drain": self.undelivered,
            "server_cpu_pct": round(self.server_cpu_pct, 1),
            "server_cpu_ms_per_msg": round(self.cpu_ms_per_msg(), 3),
            "loop_thread_cpu_ms_per_msg": round(self.cpu_ms_per_msg(self.loop_cpu_s), 3),
            "other_threads_cpu_ms_per_msg": round(self.cpu_ms_per_msg(self.other_threads_cpu_s), 3),
            "client_cpu_pct": round(self.client_cpu_pct, 1),
            "server_rss_mib": round(self.rss_mib, 1),
            "server_hwm_mib": round(self.hwm_mib, 1),
            "socket_open_s": round(self.socket_open_s, 2),
        }


def nearest_rank(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# -- sockets --------------------------------------------------------------------------


def send_frame(conversation_id: str, client_id: str) -> str:
    return json.dumps(
        {
            "type": "send",
            "conversationId": conversation_id,
            "clientId": client_id,
            "kind": "text",
            "body": {"text": "ping"},
        }
    )


async def open_socket(url: str, session: str, conversation_id: str) -> ClientConnection:
    """A socket of the person with ``session``, resumed in ``conversation_id``."""
    socket_ = await websockets.connect(
        url.replace("http://", "ws://") + "/api/v1/ws",
        additional_headers={"Cookie": f"{SESSION_COOKIE}={session}"},
        origin=websockets.Origin(url),
        max_queue=None,
        compression=None,
        open_timeout=60,
    )
    # Resuming releases live events at once instead of after the grace period; what the
    # conversation already holds is replayed before "resumed", so it is read and skipped here.
    await socket_.send(json.dumps({"type": "resume", "conversations": {conversation_id: 0}}))
    async for raw in socket_:
        if json.loads(raw)["type"] == "resumed":
            return socket_
    raise RuntimeError("socket closed before resuming")


async def open_sockets(
    served: Served, pairs: list[Pair]
) -> tuple[dict[int, ClientConnection], float]:
    """One socket per person of ``pairs``, and how long opening them took."""
    opened_at = time.perf_counter()
    sockets: dict[int, ClientConnection] = {}

    async def open_for(person: Person, conversation_id: str) -> None:
        sockets[person.index] = await open_socket(served.url, person.session, conversation_id)

    await bounded(
        SOCKET_OPEN_CONCURRENCY,
        (
            lambda p=p, c=pair.conversation_id: open_for(p, c)
            for pair in pairs
            for p in (pair.a, pair.b)
        ),
    )
    return sockets, time.perf_counter() - opened_at


async def close_sockets(
    sockets: dict[int, ClientConnection], readers: list[asyncio.Task[None]]
) -> None:
    for socket_ in sockets.values():
        await socket_.close()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


# -- closed loop: ping-pong -----------------------------------------------------------


@dataclass
class PingPong:
    """One scenario's shared state: what is in flight, what arrived, and when to stop."""

    window_start: float
    window_end: float
    sent_at: dict[str, float] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    stopping: bool = False
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def send(socket_: ClientConnection, state: PingPong, conversation_id: str) -> None:
    client_id = f"b-{uuid.uuid4().hex}"
    frame = send_frame(conversation_id, client_id)
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


class Profiling:
    """Switches the server's profiler on for each measured window (``--profile``)."""

    def __init__(self, pid: int, enabled: bool) -> None:
        self.pid = pid
        self.enabled = enabled
        self.labels: list[str] = []

    def toggle(self, label: str | None = None) -> None:
        if self.enabled:
            os.kill(self.pid, signal.SIGUSR1)
            if label is not None:
                self.labels.append(label)


async def run_scenario(
    served: Served,
    pairs: list[Pair],
    *,
    warmup: float,
    duration: float,
    drain: float,
    profiling: Profiling,
) -> Result:
    sockets, socket_open_s = await open_sockets(served, pairs)
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
    profiling.toggle(f"closed-{len(pairs)}")
    cpu = CpuWindow(served.pid)
    await asyncio.sleep(max(0.0, state.window_end - time.perf_counter()))
    server_cpu, loop_cpu, other_cpu, client_cpu = cpu.stop()
    profiling.toggle()
    state.stopping = True
    await asyncio.gather(*starters)
    if state.sent_at:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.all_arrived.wait(), drain)
    rss, hwm = memory_mib(served.pid)
    undelivered = len(state.sent_at)
    await close_sockets(sockets, readers)
    return Result(
        kind="closed",
        pairs=len(pairs),
        clients=2 * len(pairs),
        window_s=duration,
        delivered=len(state.latencies_ms),
        latencies_ms=state.latencies_ms,
        errors=state.errors,
        undelivered=undelivered,
        server_cpu_s=server_cpu,
        loop_cpu_s=loop_cpu,
        other_threads_cpu_s=other_cpu,
        client_cpu_s=client_cpu,
        rss_mib=rss,
        hwm_mib=hwm,
        socket_open_s=socket_open_s,
        ack_ms_p50=statistics.median(state.ack_ms) if state.ack_ms else float("nan"),
    )


# -- open loop: paced -----------------------------------------------------------------


@dataclass
class PacedWindow:
    """The sends of one paced window and what became of them."""

    start: float
    end: float
    latencies_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    lags_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    outstanding: int = 0
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def done_with_one(self) -> None:
        self.outstanding -= 1
        if self.outstanding == 0:
            self.settled.set()


class PacedClients:
    """The connected sockets of k pairs, reading all the time; ``run`` sends at a rate."""

    def __init__(self, served: Served, pairs: list[Pair], sockets: dict[int, ClientConnection]):
        self.served = served
        self.pairs = pairs
        self.sockets = sockets
        # client id -> (when written, the window it counts for, or None outside one)
        self.in_flight: dict[str, tuple[float, PacedWindow | None]] = {}
        self.closing = False
        self.closed_errors: dict[str, int] = {}
        self.readers = [
            asyncio.create_task(self._read(sockets[p.index], p))
            for pair in pairs
            for p in (pair.a, pair.b)
        ]
        self.directions = [0] * len(pairs)

    async def _read(self, socket_: ClientConnection, me: Person) -> None:
        try:
            async for raw in socket_:
                arrived = time.perf_counter()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "message":
                    if frame["message"]["senderId"] == me.id:
                        continue
                    entry = self.in_flight.pop(frame["message"]["clientId"], None)
                    if entry is not None and entry[1] is not None:
                        entry[1].latencies_ms.append((arrived - entry[0]) * 1000)
                        entry[1].done_with_one()
                elif kind == "ack":
                    entry = self.in_flight.get(frame["clientId"])
                    if entry is not None and entry[1] is not None:
                        entry[1].ack_ms.append((arrived - entry[0]) * 1000)
                elif kind == "ping":
                    await socket_.send('{"type":"pong"}')
                elif kind == "error":
                    entry = self.in_flight.pop(frame.get("clientId", ""), None)
                    if entry is not None and entry[1] is not None:
                        entry[1].error(frame.get("code", "error"))
                        entry[1].done_with_one()
        except websockets.ConnectionClosed as closed:
            if not self.closing:
                code = f"closed {closed.rcvd.code if closed.rcvd else ''}".strip()
                self.closed_errors[code] = self.closed_errors.get(code, 0) + 1

    async def _send(self, index: int, window: PacedWindow | None) -> None:
        pair = self.pairs[index]
        # Each pair takes turns, like a conversation.
        sender = pair.a if self.directions[index] == 0 else pair.b
        self.directions[index] ^= 1
        client_id = f"p-{uuid.uuid4().hex}"
        self.in_flight[client_id] = (time.perf_counter(), window)
        if window is not None:
            window.outstanding += 1
            window.settled.clear()
        try:
            await self.sockets[sender.index].send(send_frame(pair.conversation_id, client_id))
        except websockets.ConnectionClosed:
            self.in_flight.pop(client_id, None)
            if window is not None:
                window.error("closed")
                window.done_with_one()

    async def run(
        self,
        rate: float,
        *,
        arrivals: str,
        warmup: float,
        duration: float,
        drain: float,
        profiling: Profiling,
    ) -> Result:
        start = time.perf_counter()
        window = PacedWindow(start=start + warmup, end=start + warmup + duration)
        order = list(range(len(self.pairs)))
        random.shuffle(order)
        due = start
        sent = 0
        measuring: CpuWindow | None = None
        cpu: tuple[float, float, float, float] | None = None
        while True:
            due += random.expovariate(rate) if arrivals == "poisson" else 1 / rate
            if due >= window.end:
                break
            if measuring is None and due >= window.start:
                await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
                profiling.toggle(f"paced-{len(self.pairs)}-{rate:g}")
                measuring = CpuWindow(self.served.pid)
            wait = due - time.perf_counter()
            if wait > 0.0005:
                await asyncio.sleep(wait)
            elif sent % 50 == 0:
                await asyncio.sleep(0)  # running late: still let the readers read
            counted = window if due >= window.start else None
            if counted is not None:
                counted.lags_ms.append((time.perf_counter() - due) * 1000)
            index = (
                random.randrange(len(order)) if arrivals == "poisson" else order[sent % len(order)]
            )
            await self._send(index, counted)
            sent += 1
        await asyncio.sleep(max(0.0, window.end - time.perf_counter()))
        if measuring is not None:
            cpu = measuring.stop()
            profiling.toggle()
        if window.outstanding:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(window.settled.wait(), drain)
        undelivered = window.outstanding
        # Whatever is still in flight is forgotten: it cannot count for the next window.
        self.in_flight = {client_id: (at, None) for client_id, (at, _) in self.in_flight.items()}
        rss, hwm = memory_mib(self.served.pid)
        server_cpu, loop_cpu, other_cpu, client_cpu = cpu or (0.0, 0.0, 0.0, 0.0)
        errors = dict(window.errors)
        for code, count in self.closed_errors.items():
            errors[code] = errors.get(code, 0) + count
        self.closed_errors = {}
        return Result(
            kind="paced",
            pairs=len(self.pairs),
            clients=2 * len(self.pairs),
            window_s=duration,
            delivered=len(window.latencies_ms),
            latencies_ms=window.latencies_ms,
            errors=errors,
            undelivered=undelivered,
            server_cpu_s=server_cpu,
            loop_cpu_s=loop_cpu,
            other_threads_cpu_s=other_cpu,
            client_cpu_s=client_cpu,
            rss_mib=rss,
            hwm_mib=hwm,
            socket_open_s=0.0,
            ack_ms_p50=statistics.median(window.ack_ms) if window.ack_ms else float("nan"),
            offered_per_s=rate,
            lags_ms=window.lags_ms,
        )

    async def close(self) -> None:
        self.closing = True
        await close_sockets(self.sockets, self.readers)


# -- a whole run ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    kind: str  # closed, paced, sweep
    pairs: int
    rate: float | None = None

    @property
    def label(self) -> str:
        rate = f" at {self.rate:g}/s" if self.rate is not None else ""
        return f"{self.kind} {self.pairs} pairs{rate}"


@dataclass
class Run:
    load_average: float
    setup_s: float
    results: dict[Scenario, Result]


@dataclass(frozen=True)
class Timing:
    warmup: float
    duration: float
    drain: float
    arrivals: str


async def paced_group(
    served: Served,
    pairs: list[Pair],
    scenarios: list[Scenario],
    timing: Timing,
    profiling: Profiling,
    results: dict[Scenario, Result],
) -> None:
    """The paced and sweep scenarios of one pair count on one set of sockets."""
    sockets, socket_open_s = await open_sockets(served, pairs)
    clients = PacedClients(served, pairs, sockets)
    try:
        for scenario in scenarios:
            assert scenario.rate is not None
            result = await clients.run(
                scenario.rate,
                arrivals=timing.arrivals,
                warmup=timing.warmup,
                duration=timing.duration,
                drain=timing.drain,
                profiling=profiling,
            )
            result.socket_open_s = socket_open_s
            results[scenario] = result
            print(
                f"    {scenario.label}: {result.msgs_per_s:,.0f}/s p99 {result.latency(99):.1f} ms"
                f" ({result.cpu_ms_per_msg():.2f} ms CPU/msg)",
                flush=True,
            )
            if scenario.kind == "sweep" and (
                result.latency(99) > SWEEP_STOP_P99_MS or result.undelivered
            ):
                break
    finally:
        await clients.close()


def bankchat_run(
    scenarios: list[Scenario],
    timing: Timing,
    profile_dir: Path | None,
    server_src: Path | None = None,
) -> Run:
    load_average = os.getloadavg()[0]
    served = start_chat_platform(profile_dir, server_src)
    profiling = Profiling(served.pid, profile_dir is not None)
    try:

        async def play() -> Run:
            started = time.perf_counter()
            all_pairs = await set_up(served.url, max(s.pairs for s in scenarios))
            setup_s = time.perf_counter() - started
            results: dict[Scenario, Result] = {}
            for scenario in [s for s in scenarios if s.kind == "closed"]:
                results[scenario] = await asyncio.wait_for(
                    run_scenario(
                        served,
                        all_pairs[: scenario.pairs],
                        warmup=timing.warmup,
                        duration=timing.duration,
                        drain=timing.drain,
                        profiling=profiling,
                    ),
                    SCENARIO_TIMEOUT,
                )
            open_loop = [s for s in scenarios if s.kind != "closed"]
            for count in sorted({s.pairs for s in open_loop}):
                group = [s for s in open_loop if s.pairs == count]
                await paced_group(served, all_pairs[:count], group, timing, profiling, results)
            return Run(load_average, setup_s, results)

        run = asyncio.run(play())
        if profile_dir is not None:
            for number, label in enumerate(profiling.labels, start=1):
                print(f"  profile {profile_dir / f'window-{number}.prof'}: {label}")
        return run
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
    listed = [v for v in values if not math.isnan(v)]
    return statistics.median(listed) if listed else float("nan")


def results_of(runs: list[Run], scenario: Scenario) -> list[Result]:
    return [run.results[scenario] for run in runs if scenario in run.results]


def scenario_table(title: str, runs: list[Run], scenarios: list[Scenario]) -> Table:
    table = Table(title=title)
    for column in (
        "pairs",
        "clients",
        "offered/s",
        "msgs/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "ack p50",
        "srv CPU %",
        "CPU ms/msg",
        "loop ms/msg",
        "cli CPU %",
        "lag p99",
        "RSS MiB",
        "errors",
        "undeliv.",
        "runs",
    ):
        table.add_column(column, justify="right")
    for scenario in scenarios:
        results = results_of(runs, scenario)
        if not results:
            continue
        table.add_row(
            str(scenario.pairs),
            str(2 * scenario.pairs),
            "-" if scenario.rate is None else f"{scenario.rate:,.0f}",
            f"{median(r.msgs_per_s for r in results):,.0f}",
            f"{median(r.latency(50) for r in results):.1f}",
            f"{median(r.latency(90) for r in results):.1f}",
            f"{median(r.latency(99) for r in results):.1f}",
            f"{median(r.latency(100) for r in results):.1f}",
            f"{median(r.ack_ms_p50 for r in results):.1f}",
            f"{median(r.server_cpu_pct for r in results):.0f}",
            f"{median(r.cpu_ms_per_msg() for r in results):.2f}",
            f"{median(r.cpu_ms_per_msg(r.loop_cpu_s) for r in results):.2f}",
            f"{median(r.client_cpu_pct for r in results):.0f}",
            f"{median(r.lag(99) for r in results):.1f}",
            f"{median(r.rss_mib for r in results):.0f}",
            str(sum(sum(r.errors.values()) for r in results)),
            str(sum(r.undelivered for r in results)),
            str(len(results)),
        )
    return table


def crossing(runs: list[Run], sweep: list[Scenario]) -> str:
    """Where the sweep's median p99 crosses the target."""
    below = [s for s in sweep if median(r.latency(99) for r in results_of(runs, s)) < TARGET_P99_MS]
    above = [s for s in sweep if s not in below and results_of(runs, s)]
    parts = []
    if below:
        parts.append(
            f"p99 under {TARGET_P99_MS:g} ms up to {max(s.rate or 0 for s in below):,.0f}/s"
        )
    if above:
        parts.append(f"over it from {min(s.rate or 0 for s in above):,.0f}/s")
    return "; ".join(parts) or "no sweep results"


def baseline_table(runs: list[Run], baseline: list[Run], scenarios: list[Scenario]) -> Table:
    """This version against the baseline, scenario by scenario (medians)."""
    table = Table(title="this version / baseline, same sitting, alternating runs")
    for column in (
        "scenario",
        "CPU ms/msg",
        "baseline",
        "baseline / this",
        "msgs/s",
        "baseline",
        "p99 ms",
        "baseline",
    ):
        table.add_column(column, justify="right")
    for scenario in scenarios:
        now, before = results_of(runs, scenario), results_of(baseline, scenario)
        if not now or not before:
            continue
        cpu_now = median(r.cpu_ms_per_msg() for r in now)
        cpu_before = median(r.cpu_ms_per_msg() for r in before)
        table.add_row(
            scenario.label,
            f"{cpu_now:.2f}",
            f"{cpu_before:.2f}",
            f"{cpu_before / cpu_now:.1f}x",
            f"{median(r.msgs_per_s for r in now):,.0f}",
            f"{median(r.msgs_per_s for r in before):,.0f}",
            f"{median(r.latency(99) for r in now):,.1f}",
            f"{median(r.latency(99) for r in before):,.1f}",
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
    runs: list[Run], closed: list[Scenario], peer_runs: list[dict[str, Any]], label: str
) -> Table:
    table = Table(title=f"bankchat / Synapse, ping-pong ({label})")
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
    for scenario in closed:
        # Synapse was not run beyond 200 pairs; the largest scenarios are compared with a
        # stated caveat.
        count = scenario.pairs
        compared = count if count in peer_pairs else max(peer_pairs, default=0)
        figures = peer_figures(peer_runs, compared)
        results = results_of(runs, scenario)
        if figures is None or not results:
            continue
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
            f"{figures[1] / p99:,.1f}x",
        )
    return table


def counts(text: str) -> list[int]:
    return [int(p) for p in text.split(",") if p.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", default="1,50,500", help="ping-pong pair counts ('' for none)")
    parser.add_argument("--paced-pairs", default="50,500", help="paced pair counts ('' for none)")
    parser.add_argument(
        "--interval", type=float, default=5.0, help="paced: seconds between a pair's messages"
    )
    parser.add_argument("--sweep-pairs", type=int, default=500, help="pairs of the rate sweep")
    parser.add_argument(
        "--sweep-rates",
        default="200,400,800,1200,1600,2000",
        help="aggregate msgs/s of the sweep, rising ('' for none)",
    )
    parser.add_argument("--arrivals", choices=("poisson", "even"), default="poisson")
    parser.add_argument("--runs", type=int, default=3, help="runs (median)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured window, s")
    parser.add_argument("--warmup", type=float, default=3.0, help="uncounted start, s")
    parser.add_argument("--drain", type=float, default=10.0, help="wait for in-flight, s")
    parser.add_argument("--profile", type=Path, help="write a cProfile file per window here")
    parser.add_argument(
        "--synapse", action="store_true", help="alternate each run with the Synapse peer"
    )
    parser.add_argument("--synapse-pairs", default="1,50,200", help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also serve this tree's src/ (an earlier version), alternating runs",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.data_dir, args.profile_dir)
        return

    console = Console(width=200)
    closed = [Scenario("closed", n) for n in counts(args.pairs)]
    paced = [Scenario("paced", n, n / args.interval) for n in counts(args.paced_pairs)]
    sweep = [Scenario("sweep", args.sweep_pairs, float(r)) for r in counts(args.sweep_rates)]
    scenarios = closed + paced + sweep
    if not scenarios:
        parser.error("no scenario to run")
    timing = Timing(args.warmup, args.duration, args.drain, args.arrivals)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    peer_live = args.synapse and (PEER_DIR / "venv/bin/python").exists()
    if args.synapse and not peer_live:
        console.print(f"[yellow]no Synapse peer at {PEER_DIR}: using recorded figures[/yellow]")
    runs: list[Run] = []
    baseline_runs: list[Run] = []
    peer_runs: list[dict[str, Any]] = []

    def report(run: Run) -> None:
        console.print(
            f"  load {run.load_average:.2f}, set-up {run.setup_s:.1f} s: "
            + "; ".join(
                f"{s.label} {r.msgs_per_s:,.0f}/s p99 {r.latency(99):.1f} ms"
                for s, r in run.results.items()
            )
        )

    for number in range(1, args.runs + 1):
        console.print(f"bankchat run {number}/{args.runs}: {len(scenarios)} scenarios ...")
        runs.append(bankchat_run(scenarios, timing, args.profile))
        report(runs[-1])
        if args.baseline_src is not None:
            console.print(f"baseline run {number}/{args.runs} ({args.baseline_src}) ...")
            baseline_runs.append(bankchat_run(scenarios, timing, None, args.baseline_src))
            report(baseline_runs[-1])
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

    window = f"{args.duration:g} s window, median of {len(runs)} runs"
    if baseline_runs:
        console.print(
            scenario_table(f"baseline {args.baseline_src}, {window}", baseline_runs, scenarios)
        )
        console.print(baseline_table(runs, baseline_runs, scenarios))
    if closed:
        console.print(scenario_table(f"bankchat closed loop (ping-pong), {window}", runs, closed))
    if paced:
        console.print(
            scenario_table(
                f"bankchat paced, each pair one message every {args.interval:g} s "
                f"({args.arrivals}), {window}",
                runs,
                paced,
            )
        )
    if sweep:
        console.print(
            scenario_table(
                f"bankchat paced rate sweep, {args.sweep_pairs} pairs ({args.arrivals}), {window}",
                runs,
                sweep,
            )
        )
        console.print(f"sweep: {crossing(runs, sweep)}")
    if args.synapse and closed:
        label = "same sitting, alternating" if peer_runs else "Synapse recorded 2026-11-23"
        console.print(ratio_table(runs, closed, peer_runs or recorded_peer(), label))
    print(
        json.dumps(
            {
                "bench": "bankchat-chat",
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "cpus": os.cpu_count(),
                "warmup_s": args.warmup,
                "arrivals": args.arrivals,
                "runs": [
                    {
                        "load_average": round(run.load_average, 2),
                        "setup_s": round(run.setup_s, 1),
                        "results": [r.as_json() for r in run.results.values()],
                    }
                    for run in runs
                ],
                "synapse_runs": peer_runs,
                "baseline_src": str(args.baseline_src) if args.baseline_src else None,
                "baseline_runs": [
                    {
                        "load_average": round(run.load_average, 2),
                        "results": [r.as_json() for r in run.results.values()],
                    }
                    for run in baseline_runs
                ],
            }
        )
    )
    failed = [
        r
        for run in runs
        for s, r in run.results.items()
        if s.kind != "sweep" and (r.errors or r.undelivered)
    ]
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
