"""Texts in Russian and English, kept apart from handlers, in Fluent.

Each feature has ``texts/<lang>/<feature>.ftl``. A key is
``<feature>.<message>``: ``wallet.balance`` is the message ``balance`` in
``wallet.ftl``; deeper keys join their parts with ``-`` inside the file
(``wallet.rules.title`` is ``rules-title``, ``profile.age_band.55+`` is
``age_band-55-plus``). Values are Fluent patterns, so a count picks its word
form by the language's CLDR plural rule::

    balance = { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    }

Russian is the first language: a key missing in English falls back to Russian,
and a test checks both catalogues have the same keys. Pass counts as ``int``
and money as ``roubles(minor)``, never as preformatted strings: the plural
rule needs the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
_ROOT = Path(__file__).resolve().parent
_RUSSIAN_FAMILY = {"ru", "uk", "be", "kk", "ky", "uz", "tg", "hy", "az", "ka"}


class MissingText(KeyError):
    """A key that neither the language nor Russian has."""


class TextError(ValueError):
    """A text that could not be rendered: a value it needs was not passed."""


def language_for(language_code: str | None) -> str:
    """Our language for a Telegram language_code: Russian unless it is English-ish."""
    if not language_code:
        return DEFAULT_LANGUAGE
    base = language_code.split("-")[0].lower()
    if base in LANGUAGES:
        return base
    return DEFAULT_LANGUAGE if base in _RUSSIAN_FAMILY else "en"


def roubles(minor: int) -> float:
    """Kopecks as roubles for a text: 150 -> 1.5, which Russian reads "1,5 рубля".

    A float, not a Decimal: fluent.runtime 0.4 picks a plural category only for
    int and float (``resolver.is_number``), so a Decimal always takes the default
    variant. A float of at most two decimals prints exactly; it is never summed.
    """
    return minor / 100


def message_id(key: str) -> tuple[str, str]:
    """``wallet.rules.title`` -> (``wallet``, ``rules-title``)."""
    feature, _, rest = key.partition(".")
    return feature, rest.replace(".", "-").replace("+", "-plus")


@dataclass(frozen=True)
class _Text:
    bundle: FluentBundle
    pattern: ast.Pattern
    plain: str | None  # the whole text when it has no placeables: no formatting needed


def _is_plain(pattern: ast.Pattern) -> bool:
    return all(isinstance(element, ast.TextElement) for element in pattern.elements)


def load(directory: Path, language: str) -> dict[str, _Text]:
    """Every key of one language's folder, each with the bundle (locale) that renders it."""
    leftovers = sorted(directory.glob("*.toml"))
    if leftovers:  # a branch from before Fluent, rebased: its texts would vanish silently
        raise ValueError(
            f"{leftovers[0]}: texts are Fluent files now ({directory}/<feature>.ftl);"
            " write its keys there (see bot/texts/__init__.py) and delete it"
        )
    entries: dict[str, _Text] = {}
    for path in sorted(directory.glob("*.ftl")):
        bundle = FluentBundle([language], use_isolating=False)
        resource = FluentResource(path.read_text(encoding="utf-8"))
        bundle.add_resource(resource)
        for entry in resource.body:
            if isinstance(entry, ast.Junk):
                raise ValueError(f"{path}: cannot parse {entry.content!r}")
            if isinstance(entry, ast.Message) and entry.value is not None:
                # The bundle's own copy of the pattern, which it knows how to resolve.
                pattern = bundle.get_message(entry.id.name).value
                plain = bundle.format_pattern(pattern, {})[0] if _is_plain(entry.value) else None
                entries[f"{path.stem}.{entry.id.name}"] = _Text(bundle, pattern, plain)
    return entries


@cache
def catalogue(language: str) -> dict[str, _Text]:
    return load(_ROOT / language, language)


def lookup(key: str, *catalogues: Mapping[str, _Text]) -> _Text:
    """The first catalogue's text for ``key``; the next ones are its fallbacks."""
    feature, name = message_id(key)
    found_key = f"{feature}.{name}"
    for entries in catalogues:
        if found_key in entries:
            return entries[found_key]
    raise MissingText(key)


def warm() -> None:
    """Load both catalogues and their locales' CLDR data now.

    Called while the bot is built, before bot.runner freezes the startup heap:
    loaded lazily by the first update instead, their ~24,000 objects would stay
    in the garbage collector's sight for the life of the process.
    """
    for language in LANGUAGES:
        for text in catalogue(language).values():
            text.bundle.format_pattern(text.pattern, {})  # the first call loads CLDR data


def keys(language: str) -> set[str]:
    """The keys one language's catalogue defines, as ``feature.message-id``."""
    return set(catalogue(language))


@dataclass(frozen=True)
class Texts:
    """The texts of one language: ``texts("wallet.offer", name=..., points=...)``."""

    language: str

    def __call__(self, key: str, /, **values: object) -> str:
        text = _find(self.language, key)
        if text.plain is not None:
            return text.plain
        return _render(key, text, values)


@cache
def _find(language: str, key: str) -> _Text:
    return lookup(key, catalogue(language), catalogue(DEFAULT_LANGUAGE))


def _render(key: str, text: _Text, values: Mapping[str, object]) -> str:
    rendered, errors = text.bundle.format_pattern(text.pattern, dict(values))
    if errors:
        raise TextError(f"{key}: {'; '.join(str(error) for error in errors)}")
    return rendered


def texts_for(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else DEFAULT_LANGUAGE)
