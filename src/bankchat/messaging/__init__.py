"""The messenger: conversations, messages with per-conversation sequence numbers, read
receipts, contacts, and the WebSocket gateway that delivers them live (docs/protocol.md)."""
