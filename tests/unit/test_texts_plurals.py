"""Every text that carries a count reads right for 0, 1, 2, 5, 11, 21, 22, 101
(and 1.5 roubles) in Russian and English.

The word forms below are written by hand from CLDR's rules, not computed by the
library under test. Russian (CLDR): "one" is i%10=1 and i%100!=11 (1, 21, 101);
"few" is i%10=2..4 and i%100 not 12..14 (2, 22); "many" is the other integers
(0, 5, 11); "other" is every fraction (1.5), which reads like the genitive
singular: "1,5 рубля". English: "one" is exactly 1 with no fraction digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fluent.syntax import FluentParser, ast

import bot.texts
from bot.texts import (
    LANGUAGES,
    TextError,
    catalogue,
    load,
    lookup,
    message_id,
    roubles,
    texts_for,
)

COUNTS = (0, 1, 2, 5, 11, 21, 22, 101)


def forms(zero_five_eleven: str, one: str, few: str) -> dict[int, str]:
    """Russian word forms of an integer count, by hand: 0, 5, 11 / 1, 21, 101 / 2, 22."""
    by_count = dict.fromkeys((0, 5, 11), zero_five_eleven)
    by_count |= dict.fromkeys((1, 21, 101), one)
    by_count |= dict.fromkeys((2, 22), few)
    return by_count


RU_POINTS = forms("баллов", "балл", "балла")
RU_ROUBLES = forms("рублей", "рубль", "рубля")
RU_MEMBERS = forms("участников", "участник", "участника")
RU_INVITES = forms("приглашений", "приглашение", "приглашения")
RU_REVIEWS = forms("отзывов", "отзыв", "отзыва")
RU_DAYS = forms("дней", "день", "дня")
RU_DAYS_AFTER = forms("дней", "дня", "дней")  # "после N ...": genitive
RU_CREDITED = forms("Начислено", "Начислен", "Начислено")
RU_RECEIVE = forms("получат", "получит", "получат")
RU_BURN = forms("сгорят", "сгорит", "сгорят")
RU_MINUTES = forms("минут", "минуту", "минуты")  # "действует N ...": accusative


def en(one: str, other: str) -> dict[int, str]:
    return {n: one if n == 1 else other for n in COUNTS}


EN_POINTS = en("point", "points")
EN_ROUBLES = en("rouble", "roubles")
EN_MEMBERS = en("member", "members")
EN_INVITES = en("invite", "invites")
EN_REVIEWS = en("review", "reviews")
EN_DAYS = en("day", "days")
EN_MINUTES = en("minute", "minutes")
EN_EXPIRE = en("expires", "expire")

# key -> (values for a count n, {language: expected phrase for n})
Case = tuple[Callable[[int], dict[str, object]], dict[str, Callable[[int], str]]]
CASES: dict[str, Case] = {
    "wallet.balance": (
        lambda n: {"company": "Acme", "points": n, "cashback": n},
        {
            "ru": lambda n: f"{n} {RU_POINTS[n]}, кешбэк {n} {RU_ROUBLES[n]}",
            "en": lambda n: f"{n} {EN_POINTS[n]}, cashback {n} {EN_ROUBLES[n]}",
        },
    ),
    "offers.retention_bonus": (
        lambda n: {"company": "Acme", "points": n},
        {
            "ru": lambda n: (
                f"Acme дарит вам {n} "
                f"{'бонусный' if RU_POINTS[n] == 'балл' else 'бонусных'} {RU_POINTS[n]} —"
            ),
            "en": lambda n: f"Acme gives you {n} bonus {EN_POINTS[n]},",
        },
    ),
    "wallet.reserved": (
        lambda n: {"points": n},
        {"ru": lambda n: f"{n} {RU_POINTS[n]})", "en": lambda n: f"{n} {EN_POINTS[n]})"},
    ),
    "wallet.incoming": (
        lambda n: {"points": n, "cashback": n},
        {
            "ru": lambda n: f"{n} {RU_POINTS[n]} и {n} {RU_ROUBLES[n]} кешбэка",
            "en": lambda n: f"{n} {EN_POINTS[n]} and {n} {EN_ROUBLES[n]} of cashback",
        },
    ),
    "wallet.offer": (
        lambda n: {"name": "Latte", "points": n},
        {"ru": lambda n: f"Latte — {n} {RU_POINTS[n]}", "en": lambda n: f"— {n} {EN_POINTS[n]}"},
    ),
    "wallet.voucher": (
        lambda n: {"code": "C", "points": n, "service": "S", "until": "01.01"},
        {"ru": lambda n: f": {n} {RU_POINTS[n]} за", "en": lambda n: f": {n} {EN_POINTS[n]} for"},
    ),
    "wallet.expiring": (
        lambda n: {"points": n, "company": "Acme", "date": "01.01"},
        {
            "ru": lambda n: f"{n} {RU_POINTS[n]} у партнёра Acme {RU_BURN[n]} 01.01",
            "en": lambda n: f"{n} {EN_POINTS[n]} at Acme {EN_EXPIRE[n]} on 01.01",
        },
    ),
    "wallet.amount.points": (
        lambda n: {"sign": "+", "amount": n},
        {"ru": lambda n: f"+{n} {RU_POINTS[n]}", "en": lambda n: f"+{n} {EN_POINTS[n]}"},
    ),
    "wallet.amount.cashback": (
        lambda n: {"sign": "-", "amount": n},
        {"ru": lambda n: f"-{n} {RU_ROUBLES[n]} кешбэка", "en": lambda n: f"-{n} {EN_ROUBLES[n]}"},
    ),
    "wallet.rules.purchase": (
        lambda n: {"points": n, "percent": "5"},
        {"ru": lambda n: f"{n} {RU_POINTS[n]} и кешбэк", "en": lambda n: f"{n} {EN_POINTS[n]} and"},
    ),
    "wallet.rules.invite": (
        lambda n: {"points": n},
        {"ru": lambda n: f": {n} {RU_POINTS[n]}", "en": lambda n: f": {n} {EN_POINTS[n]}"},
    ),
    "wallet.rules.review": (
        lambda n: {"points": n},
        {"ru": lambda n: f": {n} {RU_POINTS[n]}", "en": lambda n: f": {n} {EN_POINTS[n]}"},
    ),
    "wallet.rules.survey": (
        lambda n: {"points": n},
        {"ru": lambda n: f": {n} {RU_POINTS[n]}", "en": lambda n: f": {n} {EN_POINTS[n]}"},
    ),
    "wallet.rules.return_window": (
        lambda n: {"days": n},
        {
            "ru": lambda n: f"после {n} {RU_DAYS_AFTER[n]} на возврат",
            "en": lambda n: f"after the {n}-day return window",  # an adjective: no plural
        },
    ),
    "wallet.rules.retention": (
        lambda n: {"points": n, "days": n},
        {
            "ru": lambda n: (
                f"{n} {'бонусный' if RU_POINTS[n] == 'балл' else 'бонусных'} {RU_POINTS[n]} "
                f"к предложению, не чаще раза в {n} {RU_DAYS[n]}"
            ),
            "en": lambda n: (
                f"{n} bonus {EN_POINTS[n]} with an offer, at most once in {n} {EN_DAYS[n]}"
            ),
        },
    ),
    "workspace.link": (
        lambda n: {"minutes": n},
        {
            "ru": lambda n: f"действует {n} {RU_MINUTES[n]} и",
            "en": lambda n: f"works for {n} {EN_MINUTES[n]} and",
        },
    ),
    "wallet.rules.expiry": (
        lambda n: {"days": n},
        {"ru": lambda n: f"действуют {n} {RU_DAYS[n]} после", "en": lambda n: f"{n} {EN_DAYS[n]}"},
    ),
    "deposit.amount.points": (
        lambda n: {"amount": n},
        {"ru": lambda n: f"{n} {RU_POINTS[n]}", "en": lambda n: f"{n} {EN_POINTS[n]}"},
    ),
    "deposit.amount.cashback": (
        lambda n: {"amount": n},
        {"ru": lambda n: f"{n} {RU_ROUBLES[n]} кешбэка", "en": lambda n: f"{n} {EN_ROUBLES[n]}"},
    ),
    "invite.link": (
        lambda n: {"link": "L", "completed": n, "waiting": 3},
        {
            "ru": lambda n: f"Завершено {n} {RU_INVITES[n]}, ожидают 3.",
            "en": lambda n: f"{n} {EN_INVITES[n]} completed, 3 waiting.",
        },
    ),
    "redeem.done": (
        lambda n: {"code": "C", "points": n, "service": "S", "member": "M"},
        {"ru": lambda n: f"погашен: {n} {RU_POINTS[n]} за", "en": lambda n: f"{n} {EN_POINTS[n]}"},
    ),
    "reviews.thanks_points": (
        lambda n: {"stars": 5, "points": n},
        {
            "ru": lambda n: f"{RU_CREDITED[n]} {n} {RU_POINTS[n]}.",
            "en": lambda n: f"{n} {EN_POINTS[n]} added.",
        },
    ),
    "reviews.rating_line": (
        lambda n: {"service": "S", "average": "4.5", "count": n},
        {"ru": lambda n: f"({n} {RU_REVIEWS[n]})", "en": lambda n: f"({n} {EN_REVIEWS[n]})"},
    ),
    "surveys.thanks_reward": (
        lambda n: {"points": n},
        {
            "ru": lambda n: f"{RU_CREDITED[n]} {n} {RU_POINTS[n]}.",
            "en": lambda n: f"{n} {EN_POINTS[n]} credited.",
        },
    ),
    "surveys.thanks_reward_later": (
        lambda n: {"points": n},
        {
            "ru": lambda n: (
                f"ваш {n} балл начислится"
                if RU_POINTS[n] == "балл"
                else f"ваши {n} {RU_POINTS[n]} начислятся"
            ),
            "en": lambda n: f"your {n} {EN_POINTS[n]} will be credited",
        },
    ),
    "surveys.builder.ask_segment": (
        lambda n: {"members": n, "segments": "A"},
        {
            "ru": lambda n: f"Опрос {RU_RECEIVE[n]} {n} {RU_MEMBERS[n]} компании.",
            "en": lambda n: f"It reaches {n} {EN_MEMBERS[n]} of the company.",
        },
    ),
    "surveys.builder.confirm": (
        lambda n: {"members": n},
        {
            "ru": lambda n: f"Его {RU_RECEIVE[n]} {n} {RU_MEMBERS[n]}.",
            "en": lambda n: f"It reaches {n} {EN_MEMBERS[n]}.",
        },
    ),
    "surveys.results.header": (
        lambda n: {"title": "T", "n": n},
        {
            "ru": lambda n: (
                f": ответил {n} участник"
                if RU_MEMBERS[n] == "участник"
                else f": ответили {n} {RU_MEMBERS[n]}"
            ),
            "en": lambda n: f": {n} {EN_MEMBERS[n]} answered",
        },
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(CASES))
def test_a_count_takes_the_languages_word_form(key: str, language: str) -> None:
    values, expected = CASES[key]
    wrong = {}
    for count in COUNTS:
        rendered = texts_for(language)(key, **values(count))
        if expected[language](count) not in rendered:
            wrong[count] = rendered
    assert wrong == {}


@pytest.mark.parametrize(
    ("language", "key", "expected"),
    [
        ("ru", "wallet.balance", "кешбэк 1,5 рубля"),
        ("ru", "wallet.incoming", "и 1,5 рубля кешбэка"),
        ("ru", "wallet.amount.cashback", "-1,5 рубля кешбэка"),
        ("ru", "deposit.amount.cashback", "1,5 рубля кешбэка"),
        ("en", "wallet.balance", "cashback 1.5 roubles"),
        ("en", "wallet.incoming", "and 1.5 roubles of cashback"),
        ("en", "wallet.amount.cashback", "-1.5 roubles"),
        ("en", "deposit.amount.cashback", "1.5 roubles of cashback"),
    ],
)
def test_one_and_a_half_roubles(language: str, key: str, expected: str) -> None:
    values = {"company": "A", "points": 1, "cashback": roubles(150), "sign": "-"}
    values["amount"] = roubles(150)
    assert expected in texts_for(language)(key, **values)


def _selects_on_a_variable(pattern: ast.Pattern) -> bool:
    for element in pattern.elements:
        if isinstance(element, ast.Placeable) and isinstance(
            element.expression, ast.SelectExpression
        ):
            return True
    return False


def _message_patterns(language: str) -> dict[str, ast.Pattern]:
    root = Path(bot.texts.__file__).parent / language
    patterns = {}
    for path in root.glob("*.ftl"):
        for entry in FluentParser().parse(path.read_text(encoding="utf-8")).body:
            if isinstance(entry, ast.Message) and entry.value is not None:
                patterns[f"{path.stem}.{entry.id.name}"] = entry.value
    return patterns


def _case_keys() -> set[str]:
    return {".".join(message_id(key)) for key in CASES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_that_chooses_a_word_form_is_in_the_table(language: str) -> None:
    choosing = {key for key, p in _message_patterns(language).items() if _selects_on_a_variable(p)}
    assert choosing - _case_keys() == set()


# A count glued to a counted word ("{ $points } баллов") outside a plural choice.
GLUED = re.compile(
    r"^\s*(балл|рубл|дн[ея]|день|участник|приглашен|отзыв|ваучер|"
    r"points?\b|roubles?\b|days?\b|members?\b|invites?\b|reviews?\b|vouchers?\b)"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_count_is_glued_to_a_word_by_hand(language: str) -> None:
    glued = []
    for key, pattern in _message_patterns(language).items():
        elements = pattern.elements
        for placeable, following in zip(elements, elements[1:], strict=False):
            if (
                isinstance(placeable, ast.Placeable)
                and isinstance(placeable.expression, ast.VariableReference)
                and isinstance(following, ast.TextElement)
                and GLUED.match(following.value)
            ):
                glued.append(key)
    assert glued == []


def test_a_key_missing_in_english_falls_back_to_russian(tmp_path: Path) -> None:
    (tmp_path / "ru").mkdir()
    (tmp_path / "en").mkdir()
    (tmp_path / "ru" / "feature.ftl").write_text(
        "only_ru = { $n ->\n"
        "    [one] { $n } балл\n    [few] { $n } балла\n   *[many] { $n } баллов\n}\n"
        "both = Оба\n",
        encoding="utf-8",
    )
    (tmp_path / "en" / "feature.ftl").write_text("both = Both\n", encoding="utf-8")
    russian, english = load(tmp_path / "ru", "ru"), load(tmp_path / "en", "en")
    assert lookup("feature.both", english, russian).plain == "Both"
    fallback = lookup("feature.only_ru", english, russian)
    # Rendered by the Russian bundle, so with Russian plural rules: 21 -> "one".
    assert fallback.bundle.format_pattern(fallback.pattern, {"n": 21})[0] == "21 балл"


def test_a_missing_value_is_an_error_not_a_silent_placeholder() -> None:
    with pytest.raises(TextError):
        texts_for("ru")("wallet.offer", name="Latte")


def test_catalogues_parse_without_junk() -> None:
    for language in LANGUAGES:
        assert catalogue(language)


def test_a_toml_catalogue_left_by_an_old_branch_is_refused_loudly(tmp_path: Path) -> None:
    (tmp_path / "leads.toml").write_text('header = "Заявки"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="leads.toml: texts are Fluent files now"):
        load(tmp_path, "ru")
