"""Settings for every bankchat process, read from the environment (prefix ``BANKCHAT_``).

Each field here is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The process-wide configuration."""

    model_config = SettingsConfigDict(env_prefix="BANKCHAT_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".bankchat"),
        description="Directory for the SQLite file, keys and caches.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; unset means a SQLite file in the data directory.",
    )
    host: str = Field(default="127.0.0.1", description="Address the servers bind to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the platform.")
    public_url: str | None = Field(
        default=None,
        description="URL browsers use to reach the platform (default http://HOST:PORT).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = Field(
        default="console", description="json: one JSON object per line; console: for people."
    )
    sandbox_port: int = Field(default=8001, ge=1, le=65535, description="Port of the sandbox.")
    sandbox_seed: int = Field(default=42, description="Seed of the sandbox data generator.")
    sandbox_live_rate: float = Field(
        default=0.0,
        ge=0.0,
        description="New sandbox transactions per second in live mode (0 = off).",
    )
    sandbox_partner_secret: str | None = Field(
        default=None,
        description=(
            "Shared secret for the sandbox partner extension (HMAC); unset means one is "
            "created in the data directory."
        ),
    )
    banks_file: Path | None = Field(
        default=None,
        description='JSON file of the banks ({"banks": [...]}); unset: the sandbox banks.',
    )
    sync_round_seconds: float = Field(
        default=300.0, gt=0, description="Seconds between rounds of the background sync duties."
    )
    sync_every_hours: float = Field(
        default=12.0,
        gt=0,
        description="Hours after which a connection is synced again without the person.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description=(
            "Master key wrapping every person's data key: base64 or base64url of 32 random "
            "bytes; unset means one is created in the data directory (master.key, mode 0600)."
        ),
    )
    master_key_previous: SecretStr | None = Field(
        default=None,
        description=(
            "Older master keys (comma-separated), still accepted for unwrapping until "
            "`bankchat vault rotate-master-key` has moved every data key to the current one."
        ),
    )
    spec_dir: Path | None = Field(
        default=None,
        description="Directory holding nextgenpsd2/psd2-api_v1.3.11.yaml (conformance tests).",
    )
    session_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days a sign-in lasts before the person has to log in again.",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description=(
            "Mark session cookies Secure: unset means only when the request came over https; "
            "true forces it (TLS ends at a proxy); false never (plain-http development only)."
        ),
    )
    password_hash_profile: Literal["standard", "light"] = Field(
        default="standard",
        description=(
            "Argon2id cost: standard for every deployment; light is cheap and weak, for tests "
            "and benchmarks only."
        ),
    )
    require_services: bool = Field(
        default=False,
        description="Tests fail instead of skipping when PostgreSQL or NATS is unreachable.",
    )

    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bankchat.db').resolve()}"

    def ensure_data_dir(self) -> Path:
        """Create the data directory (owner-only) if missing and return it."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.data_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
