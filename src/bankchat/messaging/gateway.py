"""The WebSocket gateway of docs/protocol.md: authenticates sockets, keeps the registry
person -> sockets of this process, turns client frames into service calls, and fans the
bus's ``chat.person.*`` events out to the sockets it holds.

One gateway per app (per process); it subscribes to the bus once, on its first socket,
so it works whether or not the app runs background work. Each socket has an outgoing
queue drained by its own writer task, in which live frames are bounded: a client that
does not keep up is closed (1013) rather than slowing the fan-out for everyone else. A
resume's catch-up is read page by page at the client's own pace and never counts against
that bound. The socket's reader answers pongs itself and hands every other frame to the
socket's worker task, so a long catch-up never leaves a pong unread. Message text is
never logged.

A socket lives no longer than its session. Rather than each socket asking the database
on its heartbeat, the gateway's one session watch asks identity about all of its
sockets' sessions in one query per heartbeat interval and closes those whose session
ended (log-out, expiry, erasure); the per-socket heartbeat only pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.websockets import WebSocket

from bankchat.db import transaction
from bankchat.errors import DomainError
from bankchat.events import CHAT_PERSON_PREFIX, ChatEvent, Event, MessageStored
from bankchat.identity.deps import SESSION_COOKIE
from bankchat.identity.flows import authenticate
from bankchat.identity.service import token_digest, valid_sessions
from bankchat.messaging import service
from bankchat.messaging.schemas import (
    ClientFrame,
    PongFrame,
    ReadFrame,
    ResumeFrame,
    SendFrame,
    TypingFrame,
    client_frame,
)
from bankchat.platform import Platform

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS: Final = 20.0
QUEUE_SIZE: Final = 1000
MAX_FRAME_CHARS: Final = 64 * 1024
RESUME_PAGE: Final = 500
# Client frames read but not yet handled; a client that sends faster waits (TCP pushes
# back) instead of growing the server's memory.
INBOX_SIZE: Final = 64
UNANSWERED_PINGS_ALLOWED: Final = 2
# The first heartbeat comes after this part of the interval at the earliest.
HEARTBEAT_FIRST_AFTER: Final = 0.5
# How long live events wait for a client's first frame, which may be a resume.
RESUME_GRACE_SECONDS: Final = 2.0
# A client that stopped reading cannot take a close frame either; do not wait forever.
CLOSE_TIMEOUT_SECONDS: Final = 5.0

CLOSE_GOING_AWAY: Final = 1001
CLOSE_TOO_SLOW: Final = 1013
CLOSE_NOT_LOGGED_IN: Final = 4401
CLOSE_FOREIGN_ORIGIN: Final = 4403

_STATE_KEY: Final = "messaging_gateway"
# Seconds between typing signals one socket passes on per conversation.
TYPING_INTERVAL = 2.0

# Called with ("read", conversation id) before each page a catch-up reads and with
# ("done", conversation id) after its last page, before the live events are let through:
# tests use it to commit a message at exactly those moments.
CatchUpHook = Callable[[str, str], Awaitable[None]]


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


_PING: Final = _dumps({"type": "ping"})


def error_frame(code: str, detail: str, client_id: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if client_id is not None:
        frame["clientId"] = client_id
    return _dumps(frame)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Connection:
    """One socket's state: its outgoing queue, what resuming has already sent, and the
    heartbeat count. Everything here runs on the event loop without awaiting, so the
    bus handler and the socket's own tasks never see it half-changed."""

    def __init__(self, person_id: str, session_id: str, queue_size: int) -> None:
        self.id = uuid.uuid4().hex
        self.person_id = person_id
        # The session the socket was opened with (its token's digest).
        self.session_id = session_id
        # Frames to write, each marked whether it counts against ``live_limit``: live
        # frames do, a catch-up's do not (it is paced by ``wait_for_backlog`` instead).
        self.queue: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()
        self.live_limit = queue_size
        self.live_queued = 0
        self.inbox: asyncio.Queue[ClientFrame] = asyncio.Queue(maxsize=INBOX_SIZE)
        # Per conversation, the highest seq that resuming sent: live copies at or below
        # it (published after the catch-up read them) are not sent again.
        self.floors: dict[str, int] = {}
        # Live events wait here until the client's first frame, and while a resume reads
        # the database, so they cannot overtake the older messages being caught up (a
        # client ignores numbers at or below the highest it has shown). One hold for the
        # first frame, one per resume not yet done.
        self.held: list[tuple[dict[str, Any], str]] | None = []
        self.holds = 1
        self.awaiting_first_frame = True
        self.unanswered_pings = 0
        self.close_code: int | None = None
        self.disconnected = False
        self.closed = asyncio.Event()
        self.members: dict[str, list[str]] = {}
        # conversation id -> when this socket last passed on a typing signal
        self.typing_at: dict[str, float] = {}
        self._backlog_ok = asyncio.Event()
        self._backlog_mark = -1

    def close(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
            self.closed.set()

    def push(self, text: str) -> None:
        """Queue a live frame; more than ``live_limit`` waiting means the client does not
        keep up."""
        if self.close_code is not None:
            return
        if self.live_queued >= self.live_limit:
            self.close(CLOSE_TOO_SLOW)
            return
        self.live_queued += 1
        self.queue.put_nowait((text, True))

    def push_catch_up(self, text: str) -> None:
        """Queue a frame of a resume's answer (bounded by its paging, not by the limit)."""
        if self.close_code is None:
            self.queue.put_nowait((text, False))

    async def wait_for_backlog(self, at_most: int) -> None:
        """Wait until at most ``at_most`` frames are still to be written."""
        while self.queue.qsize() > at_most and self.close_code is None:
            self._backlog_mark = at_most
            self._backlog_ok.clear()
            await self._backlog_ok.wait()

    def written(self, counted: bool) -> None:
        """The writer took a frame off the queue and wrote it."""
        if counted:
            self.live_queued -= 1
        if self.queue.qsize() <= self._backlog_mark:
            self._backlog_mark = -1
            self._backlog_ok.set()

    def offer(self, frame: dict[str, Any], text: str) -> None:
        """A live event for this socket's person."""
        if self.held is not None:
            if len(self.held) >= self.live_limit:
                self.close(CLOSE_TOO_SLOW)
                return
            self.held.append((frame, text))
            return
        self._pass_on(frame, text)

    def _pass_on(self, frame: dict[str, Any], text: str) -> None:
        if frame["type"] == "typing" and self.live_queued > self.live_limit // 2:
            return  # a hint, dropped rather than ever closing a busy socket for it
        if frame["type"] == "message":
            message = frame["message"]
            if message["seq"] <= self.floors.get(message["conversationId"], 0):
                return
        self.push(text)

    def hold(self) -> None:
        """Hold live events until the matching ``release`` (a resume is coming)."""
        self.holds += 1
        if self.held is None:
            self.held = []

    def first_frame(self) -> None:
        """The client has spoken (or the grace period is over): release the first hold.
        A resume took its own hold before this, so its live events wait for it."""
        if self.awaiting_first_frame:
            self.awaiting_first_frame = False
            self.release()

    def release(self) -> None:
        self.holds = max(self.holds - 1, 0)
        if self.holds:
            return
        held, self.held = self.held or [], None
        for frame, text in held:
            self._pass_on(frame, text)


class Gateway:
    """The sockets of one process and their single bus subscription."""

    def __init__(
        self,
        platform: Platform,
        *,
        queue_size: int = QUEUE_SIZE,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        resume_grace_seconds: float = RESUME_GRACE_SECONDS,
        resume_page: int = RESUME_PAGE,
        catch_up_hook: CatchUpHook | None = None,
    ) -> None:
        self.platform = platform
        self.queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        self.resume_grace_seconds = resume_grace_seconds
        self.resume_page = resume_page
        self.catch_up_hook = catch_up_hook
        self._sockets: dict[str, set[Connection]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        # Sends still being stored or published for a socket that has gone.
        self._sending: set[asyncio.Task[service.Sent]] = set()
        self._session_watch: asyncio.Task[None] | None = None
        self._session_check: asyncio.Task[set[str]] | None = None

    # -- registry and fan-out ---------------------------------------------------------

    def start(self) -> None:
        """Subscribe to the bus and start the session watch (once)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.platform.bus.subscribe(
                CHAT_PERSON_PREFIX + "*", self._on_event
            )
        if self._session_watch is None:
            self._session_watch = asyncio.create_task(self._watch_sessions())

    async def close(self) -> None:
        """Stop listening and watching, and close every socket (going away)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._session_watch is not None:
            self._session_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._session_watch
            self._session_watch = None
        if self._session_check is not None:
            # Let a check already in the database finish, so its transaction ends cleanly.
            with contextlib.suppress(Exception):
                await self._session_check
        for connections in list(self._sockets.values()):
            for connection in list(connections):
                connection.close(CLOSE_GOING_AWAY)

    def connections_of(self, person_id: str) -> int:
        return len(self._sockets.get(person_id, ()))

    def _register(self, connection: Connection) -> None:
        self._sockets.setdefault(connection.person_id, set()).add(connection)

    def _unregister(self, connection: Connection) -> None:
        connections = self._sockets.get(connection.person_id)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self._sockets[connection.person_id]

    # -- the session watch ------------------------------------------------------------

    async def _watch_sessions(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await self.check_sessions()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The next interval tries again; until then the sockets stay as they are.
                logger.error("session check failed: %s", type(error).__name__)

    async def check_sessions(self) -> None:
        """Close, 4401, every socket whose session has ended: one query for all of them.

        Runs once per heartbeat interval, so log-out, expiry or erasure closes a socket
        within one heartbeat.
        """
        open_now = [c for connections in self._sockets.values() for c in connections]
        if not open_now:
            return
        # Shielded: a gateway closing mid-check must not cancel a transaction half way
        # (its connection would be thrown away instead of going back to the pool).
        self._session_check = asyncio.create_task(
            self._valid_sessions({c.session_id for c in open_now})
        )
        valid = await asyncio.shield(self._session_check)
        for connection in open_now:
            if connection.session_id not in valid:
                connection.close(CLOSE_NOT_LOGGED_IN)

    async def _valid_sessions(self, session_ids: set[str]) -> set[str]:
        async with self.platform.unit_of_work() as tx:
            return await valid_sessions(tx, session_ids, now=self.platform.clock())

    async def _on_event(self, event: Event) -> None:
        if not isinstance(event, ChatEvent):
            return
        connections = self._sockets.get(event.recipient_id)
        if not connections:
            return
        origin = event.origin if isinstance(event, MessageStored) else None
        frame = event.frame()
        # Serialised once for all of this person's sockets.
        text = _dumps(frame)
        for connection in list(connections):
            if connection.id != origin:
                connection.offer(frame, text)

    # -- one socket -------------------------------------------------------------------

    def _origin_allowed(self, websocket: WebSocket) -> bool:
        origin = websocket.headers.get("origin")
        if not origin:
            return False
        allowed = {origin_of(self.platform.public_url)}
        host = websocket.headers.get("host")
        if host:
            allowed |= {f"http://{host}".lower(), f"https://{host}".lower()}
        return origin.rstrip("/").lower() in allowed

    async def serve(self, websocket: WebSocket) -> None:
        """Run one socket from handshake to close."""
        await websocket.accept()
        if not self._origin_allowed(websocket):
            await websocket.close(CLOSE_FOREIGN_ORIGIN)
            return
        token = websocket.cookies.get(SESSION_COOKIE)
        signed_in = (
            await authenticate(self.platform.unit_of_work, token, now=self.platform.clock())
            if token
            else None
        )
        if not token or signed_in is None:
            await websocket.close(CLOSE_NOT_LOGGED_IN)
            return
        self.start()
        connection = Connection(signed_in.person.id, token_digest(token), self.queue_size)
        self._register(connection)
        connection.push(
            _dumps(
                {
                    "type": "welcome",
                    "personId": connection.person_id,
                    "heartbeatSeconds": self.heartbeat_seconds,
                }
            )
        )
        grace = asyncio.get_running_loop().call_later(
            self.resume_grace_seconds, connection.first_frame
        )
        tasks = [
            asyncio.create_task(self._read(websocket, connection)),
            asyncio.create_task(self._work(connection)),
            asyncio.create_task(self._write(websocket, connection)),
            asyncio.create_task(self._heartbeat(connection)),
            asyncio.create_task(connection.closed.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            grace.cancel()
            self._unregister(connection)
            for task in tasks:
                task.cancel()
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, Exception):
                    logger.error("chat socket task failed: %s", type(outcome).__name__)
        if connection.close_code is not None and not connection.disconnected:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(connection.close_code), CLOSE_TIMEOUT_SECONDS
                )

    async def _write(self, websocket: WebSocket, connection: Connection) -> None:
        while True:
            text, counted = await connection.queue.get()
            try:
                await websocket.send_text(text)
            except Exception:
                connection.disconnected = True
                return
            connection.written(counted)

    async def _heartbeat(self, connection: Connection) -> None:
        """Ping, and close a socket that left pings unanswered (its session is the
        watch's job)."""
        # The first beat comes after a random part of the interval: sockets opened
        # together (a server restart, a benchmark) would otherwise all be pinged at the
        # same moment, every interval.
        wait = self.heartbeat_seconds * random.uniform(HEARTBEAT_FIRST_AFTER, 1.0)
        while True:
            await asyncio.sleep(wait)
            wait = self.heartbeat_seconds
            if connection.unanswered_pings >= UNANSWERED_PINGS_ALLOWED:
                connection.close(CLOSE_GOING_AWAY)
                return
            connection.unanswered_pings += 1
            connection.push(_PING)

    async def _read(self, websocket: WebSocket, connection: Connection) -> None:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                connection.disconnected = True
                return
            frame = _parse_frame(received.get("text"))
            if isinstance(frame, ResumeFrame):
                # From now on, until this resume is done, live events wait for it.
                connection.hold()
            connection.first_frame()
            if isinstance(frame, str):
                connection.push(frame)
            elif isinstance(frame, PongFrame):
                # Answered here, not behind a catch-up the worker may be pacing.
                connection.unanswered_pings = 0
            else:
                await connection.inbox.put(frame)

    async def _work(self, connection: Connection) -> None:
        """Handle the socket's frames one after the other, in the order they came."""
        while True:
            await self._handle(connection, await connection.inbox.get())

    async def _handle(self, connection: Connection, frame: ClientFrame) -> None:
        client_id = frame.client_id if isinstance(frame, SendFrame) else None
        try:
            if isinstance(frame, SendFrame):
                await self._send(connection, frame)
            elif isinstance(frame, ReadFrame):
                await self._read_receipt(connection, frame)
            elif isinstance(frame, TypingFrame):
                await self._typing(connection, frame)
            elif isinstance(frame, ResumeFrame):
                await self._resume(connection, frame)
        except DomainError as refused:
            connection.push(error_frame(refused.code, refused.detail, client_id))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # The type only: an error's text may quote the message being sent.
            logger.error("chat frame %s failed: %s", frame.type, type(error).__name__)
            connection.push(
                error_frame("INTERNAL_ERROR", "Something went wrong on our side.", client_id)
            )

    async def _send(self, connection: Connection, frame: SendFrame) -> None:
        # A message ends the typing: the next keystroke may signal again at once.
        connection.typing_at.pop(frame.conversation_id, None)
        # Shielded: a socket closing while its send is in the writer's batch must not
        # leave a stored message unpublished.
        storing = asyncio.create_task(self._store_and_publish(connection, frame))
        self._sending.add(storing)
        storing.add_done_callback(self._sent)
        await asyncio.shield(storing)

    async def _store_and_publish(self, connection: Connection, frame: SendFrame) -> service.Sent:
        sent = await service.send_and_commit(
            self.platform.sessions,
            conversation_id=frame.conversation_id,
            sender_id=connection.person_id,
            client_id=frame.client_id,
            kind=frame.kind,
            body=frame.body,
            now=self.platform.clock(),
        )
        connection.push(
            _dumps(
                {
                    "type": "ack",
                    "clientId": frame.client_id,
                    "conversationId": frame.conversation_id,
                    "seq": sent.message.seq,
                    "messageId": sent.message.id,
                    "duplicate": sent.duplicate,
                }
            )
        )
        await service.publish_sent(self.platform.bus, sent, origin=connection.id)
        return sent

    def _sent(self, task: asyncio.Task[service.Sent]) -> None:
        self._sending.discard(task)
        # Read here so an error no socket waits for any more is not reported as lost;
        # a socket still waiting answers it itself.
        if not task.cancelled():
            task.exception()

    async def _members(self, connection: Connection, conversation_id: str) -> list[str]:
        # Who is in a conversation never changes once it exists, so a socket asks once.
        members = connection.members.get(conversation_id)
        if members is None:
            async with transaction(self.platform.sessions) as session:
                members = await service.members_if_member(
                    session, connection.person_id, conversation_id
                )
            connection.members[conversation_id] = members
        return members

    async def _read_receipt(self, connection: Connection, frame: ReadFrame) -> None:
        members = await self._members(connection, frame.conversation_id)
        async with self.platform.unit_of_work() as tx:
            await service.mark_read(
                tx, connection.person_id, frame.conversation_id, frame.seq, member_ids=members
            )

    async def _typing(self, connection: Connection, frame: TypingFrame) -> None:
        # At most one signal per conversation every few seconds per socket: typing is a
        # hint, and a flood of it must not fill anyone's queue.
        now = asyncio.get_running_loop().time()
        if now - connection.typing_at.get(frame.conversation_id, -TYPING_INTERVAL) < (
            TYPING_INTERVAL
        ):
            return
        connection.typing_at[frame.conversation_id] = now
        members = await self._members(connection, frame.conversation_id)
        for signal in service.typing_signals(members, connection.person_id, frame.conversation_id):
            await self.platform.bus.publish(signal)

    async def _resume(self, connection: Connection, frame: ResumeFrame) -> None:
        """Live events are already flowing (the socket is registered) and held since the
        reader took this frame; send what was stored after the client's numbers, then let
        through only newer ones."""
        try:
            for conversation_id, seen in frame.conversations.items():
                try:
                    await self._catch_up(connection, conversation_id, seen)
                except DomainError as refused:
                    connection.push_catch_up(error_frame(refused.code, refused.detail))
        finally:
            connection.release()

    async def _catch_up(self, connection: Connection, conversation_id: str, seen: int) -> None:
        floor = seen
        newest: int | None = None
        sent_any = False
        while True:
            # Paged at the client's pace: the next page is read once at most one page is
            # still to be written, so a catch-up of any length holds about two in memory.
            await connection.wait_for_backlog(self.resume_page)
            if self.catch_up_hook is not None:
                await self.catch_up_hook("read", conversation_id)
            async with transaction(self.platform.sessions) as session:
                if newest is None:
                    await service.members_if_member(session, connection.person_id, conversation_id)
                    newest = await service.last_seq(session, conversation_id)
                page = await service.after(session, conversation_id, floor, self.resume_page)
            for message in page:
                connection.push_catch_up(
                    _dumps({"type": "message", "message": service.message_json(message)})
                )
            if page:
                floor = page[-1].seq
                sent_any = True
            if len(page) < self.resume_page:
                break
        if self.catch_up_hook is not None:
            await self.catch_up_hook("done", conversation_id)
        if not sent_any and newest is not None:
            # A client claiming more than exists must still get the messages to come.
            floor = min(seen, newest)
        connection.floors[conversation_id] = floor
        connection.push_catch_up(
            _dumps({"type": "resumed", "conversationId": conversation_id, "lastSeq": floor})
        )


def _parse_frame(text: str | None) -> ClientFrame | str:
    """The client's frame, or the error frame answering it."""
    if text is None:
        return error_frame("INVALID_FRAME", "Frames are JSON text.")
    if len(text) > MAX_FRAME_CHARS:
        return error_frame("INVALID_FRAME", "The frame is too large.")
    try:
        return client_frame.validate_json(text)
    except ValidationError as error:
        return _invalid_frame(text, error)


def _invalid_frame(text: str, error: ValidationError) -> str:
    where = sorted({".".join(str(p) for p in e["loc"]) or "frame" for e in error.errors()})
    client_id: str | None = None
    with contextlib.suppress(ValueError):
        raw = json.loads(text)
        candidate = raw.get("clientId") if isinstance(raw, dict) else None
        if isinstance(candidate, str) and len(candidate) <= 64:
            client_id = candidate
    return error_frame("INVALID_FRAME", f"Not a valid frame ({', '.join(where)}).", client_id)


def install_gateway(app: Starlette, gateway: Gateway) -> Gateway:
    """Use ``gateway`` for ``app``'s sockets (tests tune its queue and heartbeat)."""
    setattr(app.state, _STATE_KEY, gateway)
    return gateway


def gateway_for(app: Starlette) -> Gateway:
    """The app's gateway, made on first use."""
    gateway: Gateway | None = getattr(app.state, _STATE_KEY, None)
    if gateway is None:
        gateway = install_gateway(app, Gateway(app.state.platform))
    return gateway


async def shutdown(app: Starlette) -> None:
    """Close the app's gateway, if it ever served a socket."""
    gateway: Gateway | None = getattr(app.state, _STATE_KEY, None)
    if gateway is not None:
        await gateway.close()


async def websocket_endpoint(websocket: WebSocket) -> None:
    """``GET /api/v1/ws``."""
    await gateway_for(websocket.app).serve(websocket)
