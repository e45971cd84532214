"""The WebSocket gateway of docs/protocol.md: authenticates sockets, keeps the registry
person -> sockets of this process, turns client frames into service calls, and fans the
bus's ``chat.person.*`` events out to the sockets it holds.

One gateway per app (per process); it subscribes to the bus once, on its first socket,
so it works whether or not the app runs background work. Each socket has a bounded
outgoing queue drained by its own writer task: a client that does not keep up is closed
(1013) rather than slowing the fan-out for everyone else. Message text is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.websockets import WebSocket

from bankchat.db import transaction
from bankchat.errors import DomainError
from bankchat.identity.deps import SESSION_COOKIE
from bankchat.identity.service import authenticate
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
UNANSWERED_PINGS_ALLOWED: Final = 2
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

    def __init__(self, person_id: str, queue_size: int) -> None:
        self.id = uuid.uuid4().hex
        self.person_id = person_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        # Per conversation, the highest seq that resuming sent: live copies at or below
        # it (published after the catch-up read them) are not sent again.
        self.floors: dict[str, int] = {}
        # Live events wait here until the client's first frame, and while a resume reads
        # the database, so they cannot overtake the older messages being caught up (a
        # client ignores numbers at or below the highest it has shown).
        self.held: list[tuple[dict[str, Any], str]] | None = []
        self.awaiting_first_frame = True
        self.unanswered_pings = 0
        self.close_code: int | None = None
        self.disconnected = False
        self.closed = asyncio.Event()
        self.members: dict[str, list[str]] = {}
        self.token: str | None = None
        # conversation id -> when this socket last passed on a typing signal
        self.typing_at: dict[str, float] = {}

    def close(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
            self.closed.set()

    def push(self, text: str) -> None:
        """Queue a frame; a full queue means the client does not keep up."""
        if self.close_code is not None:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close(CLOSE_TOO_SLOW)

    async def put(self, text: str) -> None:
        """Queue a frame, waiting for room (catch-up: this socket's own pace)."""
        await self.queue.put(text)

    def offer(self, frame: dict[str, Any], text: str) -> None:
        """A live event for this socket's person."""
        if self.held is not None:
            if len(self.held) >= self.queue.maxsize:
                self.close(CLOSE_TOO_SLOW)
                return
            self.held.append((frame, text))
            return
        self._pass_on(frame, text)

    def _pass_on(self, frame: dict[str, Any], text: str) -> None:
        if frame["type"] == "typing" and self.queue.qsize() > self.queue.maxsize // 2:
            return  # a hint, dropped rather than ever closing a busy socket for it
        if frame["type"] == "message":
            message = frame["message"]
            if message["seq"] <= self.floors.get(message["conversationId"], 0):
                return
        self.push(text)

    def hold(self) -> None:
        if self.held is None:
            self.held = []

    def first_frame(self, *, resume: bool) -> None:
        """The client has spoken: a resume releases the held events when it is done,
        anything else releases them now."""
        if self.awaiting_first_frame:
            self.awaiting_first_frame = False
            if not resume:
                self.release()

    def grace_over(self) -> None:
        self.first_frame(resume=False)

    def release(self) -> None:
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
    ) -> None:
        self.platform = platform
        self.queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        self.resume_grace_seconds = resume_grace_seconds
        self._sockets: dict[str, set[Connection]] = {}
        self._unsubscribe: Callable[[], None] | None = None

    # -- registry and fan-out ---------------------------------------------------------

    def start(self) -> None:
        """Subscribe to the bus (once)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.platform.bus.subscribe(
                service.PERSON_SUBJECT + "*", self._on_event
            )

    async def close(self) -> None:
        """Stop listening and close every socket (going away)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
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

    async def _on_event(self, subject: str, payload: dict[str, Any]) -> None:
        connections = self._sockets.get(subject[len(service.PERSON_SUBJECT) :])
        if not connections:
            return
        origin = payload.get("origin")
        frame = {k: v for k, v in payload.items() if k != "origin"} if origin else payload
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
            await authenticate(self.platform.sessions, token, now=self.platform.clock())
            if token
            else None
        )
        if signed_in is None:
            await websocket.close(CLOSE_NOT_LOGGED_IN)
            return
        self.start()
        connection = Connection(signed_in.person.id, self.queue_size)
        connection.token = token
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
            self.resume_grace_seconds, connection.grace_over
        )
        tasks = [
            asyncio.create_task(self._read(websocket, connection)),
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
            text = await connection.queue.get()
            try:
                await websocket.send_text(text)
            except Exception:
                connection.disconnected = True
                return

    async def _heartbeat(self, connection: Connection) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            if connection.unanswered_pings >= UNANSWERED_PINGS_ALLOWED:
                connection.close(CLOSE_GOING_AWAY)
                return
            # A socket lives no longer than its session: log-out, expiry or erasure
            # closes it within one heartbeat.
            if connection.token is None or (
                await authenticate(
                    self.platform.sessions, connection.token, now=self.platform.clock()
                )
                is None
            ):
                connection.close(CLOSE_NOT_LOGGED_IN)
                return
            connection.unanswered_pings += 1
            connection.push(_PING)

    async def _read(self, websocket: WebSocket, connection: Connection) -> None:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                connection.disconnected = True
                return
            text = received.get("text")
            if text is None:
                connection.first_frame(resume=False)
                connection.push(error_frame("INVALID_FRAME", "Frames are JSON text."))
                continue
            if len(text) > MAX_FRAME_CHARS:
                connection.first_frame(resume=False)
                connection.push(error_frame("INVALID_FRAME", "The frame is too large."))
                continue
            try:
                frame = client_frame.validate_json(text)
            except ValidationError as error:
                connection.first_frame(resume=False)
                connection.push(_invalid_frame(text, error))
                continue
            connection.first_frame(resume=isinstance(frame, ResumeFrame))
            await self._handle(connection, frame)

    async def _handle(self, connection: Connection, frame: ClientFrame) -> None:
        client_id = frame.client_id if isinstance(frame, SendFrame) else None
        try:
            if isinstance(frame, PongFrame):
                connection.unanswered_pings = 0
            elif isinstance(frame, SendFrame):
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
        async with transaction(self.platform.sessions) as session:
            moved_to = await service.mark_read(
                session, connection.person_id, frame.conversation_id, frame.seq
            )
        if moved_to is not None:
            await service.publish_to_others(
                self.platform.bus,
                members,
                connection.person_id,
                {
                    "type": "read",
                    "conversationId": frame.conversation_id,
                    "personId": connection.person_id,
                    "seq": moved_to,
                },
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
        await service.publish_to_others(
            self.platform.bus,
            members,
            connection.person_id,
            {
                "type": "typing",
                "conversationId": frame.conversation_id,
                "personId": connection.person_id,
            },
        )

    async def _resume(self, connection: Connection, frame: ResumeFrame) -> None:
        """Live events are already flowing (the socket is registered); hold them, send
        what was stored after the client's numbers, then let through only newer ones."""
        connection.hold()
        try:
            for conversation_id, seen in frame.conversations.items():
                try:
                    await self._catch_up(connection, conversation_id, seen)
                except DomainError as refused:
                    await connection.put(error_frame(refused.code, refused.detail))
        finally:
            connection.release()

    async def _catch_up(self, connection: Connection, conversation_id: str, seen: int) -> None:
        floor = seen
        newest: int | None = None
        sent_any = False
        while True:
            async with transaction(self.platform.sessions) as session:
                if newest is None:
                    await service.members_if_member(session, connection.person_id, conversation_id)
                    newest = await service.last_seq(session, conversation_id)
                page = await service.after(session, conversation_id, floor, RESUME_PAGE)
            for message in page:
                await connection.put(
                    _dumps({"type": "message", "message": service.message_json(message)})
                )
            if page:
                floor = page[-1].seq
                sent_any = True
            if len(page) < RESUME_PAGE:
                break
        if not sent_any and newest is not None:
            # A client claiming more than exists must still get the messages to come.
            floor = min(seen, newest)
        connection.floors[conversation_id] = floor
        await connection.put(
            _dumps({"type": "resumed", "conversationId": conversation_id, "lastSeq": floor})
        )


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
