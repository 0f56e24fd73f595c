"""Consent rules and settings validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.texts import LANGUAGES, catalogue, language_for
from refbot.settings import MissingToken, Settings
from referral.consent import CONSENT_VERSION, active_consent
from referral.models import Consent

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def consent(version: str = CONSENT_VERSION, withdrawn: bool = False, days_ago: int = 0) -> Consent:
    return Consent(
        version=version,
        accepted_at=NOW - timedelta(days=days_ago),
        withdrawn_at=NOW if withdrawn else None,
    )


def test_current_unwithdrawn_consent_counts():
    assert active_consent([consent()]) is not None


def test_withdrawn_consent_does_not_count():
    assert active_consent([consent(withdrawn=True)]) is None


def test_consent_to_an_older_text_does_not_count():
    assert active_consent([consent(version="2020-01")]) is None


def test_latest_consent_wins_after_withdrawal_and_renewal():
    renewed = consent(days_ago=0)
    assert active_consent([consent(withdrawn=True, days_ago=5), renewed]) is renewed


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_follow_the_design():
    s = settings()
    assert s.broadcast_rate == 25 and s.min_audience == 5 and s.timezone == "Europe/Moscow"
    assert s.database.startswith("sqlite+aiosqlite:///") and s.database.endswith("refbot.sqlite3")
    assert s.quiet_window is not None


@pytest.mark.parametrize(
    "values",
    [
        {"bot_token": "not-a-token"},
        {"admin_ids": "12,abc"},
        {"quiet_hours": "25:00-09:00"},
        {"timezone": "Mars/Olympus"},
        {"webhook_url": "https://example.org/hook"},  # no secret
        {"webhook_url": "https://example.org/hook", "webhook_secret": "has space"},
        {"broadcast_rate": 0},
        {"min_audience": 0},
    ],
)
def test_invalid_settings_are_refused(values):
    with pytest.raises(ValidationError):
        settings(**values)


def test_admin_ids_are_parsed_from_a_comma_list():
    assert settings(admin_ids="1, 2,3").admin_ids == frozenset({1, 2, 3})


def test_running_without_a_token_explains_how_to_get_one():
    with pytest.raises(MissingToken, match="BotFather"):
        settings().require_token()


def test_link_key_is_kept_in_data_dir_when_not_set(tmp_path):
    first = settings(data_dir=tmp_path).link_key
    assert first == settings(data_dir=tmp_path).link_key
    assert settings(data_dir=tmp_path, link_secret="explicit").link_key == b"explicit"


@pytest.mark.parametrize(
    ("code", "expected"), [("ru", "ru"), ("en-GB", "en"), ("uk", "ru"), ("de", "en"), (None, "ru")]
)
def test_language_follows_telegram_language_code(code, expected):
    assert language_for(code) == expected


def test_both_languages_have_the_same_texts():
    keys = {language: set(catalogue(language)) for language in LANGUAGES}
    assert keys["ru"] == keys["en"], keys["ru"] ^ keys["en"]
