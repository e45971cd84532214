"""The one wire form of a chat message, shared by the REST API, the socket's frames and
the bus: a plain dict (cheap on the send path) whose shape the type checker knows.
docs/protocol.md describes it; field names are camelCase."""

from __future__ import annotations

from typing import Any, TypedDict


class MessageWire(TypedDict):
    id: str
    conversationId: str
    seq: int
    senderId: str
    clientId: str
    kind: str
    body: dict[str, Any]
    createdAt: str
