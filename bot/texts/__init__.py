"""Texts in Russian and English, kept apart from handlers.

Each feature has ``texts/<lang>/<feature>.toml``; a key is
``<feature>.<name>`` and values are ``str.format`` templates. Russian is the
first language: a key missing in English falls back to Russian, and a test
checks both catalogues have the same keys.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
_ROOT = Path(__file__).resolve().parent
_RUSSIAN_FAMILY = {"ru", "uk", "be", "kk", "ky", "uz", "tg", "hy", "az", "ka"}


def language_for(language_code: str | None) -> str:
    """Our language for a Telegram language_code: Russian unless it is English-ish."""
    if not language_code:
        return DEFAULT_LANGUAGE
    base = language_code.split("-")[0].lower()
    if base in LANGUAGES:
        return base
    return DEFAULT_LANGUAGE if base in _RUSSIAN_FAMILY else "en"


@cache
def catalogue(language: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for path in sorted((_ROOT / language).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(tomllib.load(handle), path.stem, entries)
    return entries


def _flatten(table: dict[str, object], prefix: str, into: dict[str, str]) -> None:
    for key, value in table.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}.{key}", into)
        else:
            into[f"{prefix}.{key}"] = str(value)


@dataclass(frozen=True)
class Texts:
    """The texts of one language: ``texts("onboarding.welcome", name=...)``."""

    language: str

    def __call__(self, key: str, /, **values: object) -> str:
        template = catalogue(self.language).get(key) or catalogue(DEFAULT_LANGUAGE)[key]
        return template.format(**values) if values else template


def texts_for(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else DEFAULT_LANGUAGE)
