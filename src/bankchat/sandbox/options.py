"""How a sandbox runs besides its data: secrets, clearing and live-feed settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxOptions:
    """Settings of one serving sandbox app."""

    partner_secret: str
    clearing_interval: float = 1.0  # seconds between clearing runs for non-instant payments
    live_rate: float = 0.0  # new transactions per second (0 = off)
    live_seed: int = 0  # seed of the live feed, so a seeded sandbox stays reproducible
