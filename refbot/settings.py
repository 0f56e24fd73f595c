"""Settings from the environment and `.env`: the only place that reads them."""

from __future__ import annotations

import os
import re
import secrets
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{8,}$")
_QUIET = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class MissingToken(Exception):
    """Raised when the bot is asked to run without BOT_TOKEN."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    bot_username: str = ""
    database_url: str = ""
    redis_url: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    # The one HTTP server (CRM API, workspace, Telegram webhook). WEBHOOK_HOST and
    # WEBHOOK_PORT, from when only the webhook listened, are read as aliases.
    http_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("http_host", "webhook_host")
    )
    http_port: int = Field(
        default=8080, ge=1, le=65535, validation_alias=AliasChoices("http_port", "webhook_port")
    )
    public_url: str = ""
    lead_pipeline_minutes: int = Field(default=5, ge=1)
    api_rate_per_minute: int = Field(default=600, ge=1)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    data_dir: Path = Path("./data")
    link_secret: str = ""
    crm_secret: str = ""  # seals partners' CRM secrets at rest; default: a key under DATA_DIR
    crm_secret_old: str = ""  # the CRM_SECRET before it: still opens, never seals (rotation)
    broadcast_rate: float = Field(default=25, gt=0, le=30)
    # Seconds a survey row may stay claimed before it counts as a dead sender's (in_doubt,
    # never resent); must outlast any one send (the drainer's request timeout is 10 s).
    survey_lease_seconds: float = Field(default=60, ge=1)
    quiet_hours: str = "22:00-09:00"
    timezone: str = "Europe/Moscow"
    min_audience: int = Field(default=5, ge=1)
    retrain_days: int = Field(default=7, ge=1)
    # Seconds a Mini App's signed init data stays valid (aiogram checks only the signature).
    webapp_init_max_age: int = Field(default=3600, ge=60)
    lead_weekly_cap: int = Field(default=2, ge=0)
    lead_expiry_days: int = Field(default=7, ge=1)
    log_level: str = "INFO"

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        if value and not _TOKEN.match(value):
            raise ValueError("BOT_TOKEN must look like 123456789:AA... (ask @BotFather)")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("ADMIN_IDS must be Telegram user ids separated by commas")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_shape(cls, value: str) -> str:
        value = value.strip()
        if value:
            match = _QUIET.match(value)
            if not match or not all(
                int(h) < 24 and int(m) < 60 for h, m in (match.group(1, 2), match.group(3, 4))
            ):
                raise ValueError("QUIET_HOURS must be HH:MM-HH:MM (or empty for none)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_hook(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("WEBHOOK_URL must be an http(s) URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _https_public(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.fullmatch(r"https://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("PUBLIC_URL must be an https:// address (Telegram opens only https)")
        return value

    @model_validator(mode="after")
    def _hook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "WEBHOOK_SECRET must be set when WEBHOOK_URL is (1-256 of A-Za-z0-9_-)"
            )
        if self.webhook_secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.webhook_secret):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Za-z0-9_-")
        if self.crm_secret_old and not self.crm_secret:
            raise ValueError("CRM_SECRET_OLD is the CRM_SECRET being replaced: set CRM_SECRET too")
        return self

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'refbot.sqlite3').resolve()}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        match = _QUIET.match(self.quiet_hours)
        if not match:
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return time(h1, m1), time(h2, m2)

    @cached_property
    def link_key(self) -> bytes:
        """The HMAC key for deep links: LINK_SECRET, or one kept in DATA_DIR.

        A key derived from BOT_TOKEN would make every printed QR code invalid
        when the token is rotated, so the default is a random key stored once.
        """
        if self.link_secret:
            return self.link_secret.encode()
        path = self.data_dir / "link_secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def crm_key(self) -> bytes:
        """The Fernet key that seals partners' CRM secrets (the first of ``crm_keys``)."""
        return self.crm_keys()[0]

    def crm_keys(self) -> list[bytes]:
        """The CRM keys, the sealing one first, then those that still open what they
        sealed: CRM_SECRET and CRM_SECRET_OLD, or the lines of DATA_DIR/crm_secret
        (made with one random key when absent; `refbot crm rotate-secret` puts a new
        key first). Read afresh on each call, so a running process learns a rotation.

        Kept apart from the database (like the link key), so a copy of the
        database alone opens no partner's CRM.
        """
        from referral.crm.vault import fernet_key, new_key

        if self.crm_secret:
            return [fernet_key(s) for s in (self.crm_secret, self.crm_secret_old) if s]
        path = self.crm_key_file
        if not path.exists():
            self.write_crm_keys([new_key()])
        return [line.strip() for line in path.read_bytes().splitlines() if line.strip()]

    @property
    def crm_key_file(self) -> Path:
        return self.data_dir / "crm_secret"

    def write_crm_keys(self, keys: list[bytes]) -> None:
        """DATA_DIR/crm_secret holds ``keys``, the sealing one first: replaced whole
        (a reader sees the old file or the new one, never half), readable by its owner only."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fresh = self.crm_key_file.with_name(f"crm_secret.{secrets.token_hex(4)}.tmp")
        descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(b"\n".join(keys) + b"\n")
        fresh.replace(self.crm_key_file)

    def require_token(self) -> str:
        if not self.bot_token:
            raise MissingToken(
                "BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
                "(send /newbot), then put BOT_TOKEN=<token> in .env or the environment. "
                "To look around without Telegram, run `refbot demo`."
            )
        return self.bot_token
