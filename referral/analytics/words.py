"""The analytics' sentences in Russian and English (segment names, churn
reasons, insights), kept apart from the code that chooses them.

They live in the domain, not in the bot's catalogues, because two adapters
say them: the workspace page and the weekly message in the chat. A count is
never glued to a word: ``plural`` picks the form by CLDR's rules (Russian
one/few/many, English one/other).
"""

from __future__ import annotations

LANGUAGES = ("ru", "en")

NOUNS = {
    "day": {"ru": ("день", "дня", "дней"), "en": ("day", "days")},
    "visit": {"ru": ("визит", "визита", "визитов"), "en": ("visit", "visits")},
}


def plural(language: str, count: int, noun: str) -> str:
    forms = NOUNS[noun][language]
    if language == "ru":
        tail, tens = count % 10, count % 100
        if tail == 1 and tens != 11:
            form = forms[0]
        elif 2 <= tail <= 4 and not 12 <= tens <= 14:
            form = forms[1]
        else:
            form = forms[2]
    else:
        form = forms[0] if count == 1 else forms[1]
    return f"{count} {form}"


# Words for a behaviour feature that is high (first) or low (second) in a segment.
SEGMENT_WORDS = {
    "frequency": {"ru": ("частые", "редкие"), "en": ("frequent", "occasional")},
    "avg_amount": {"ru": ("щедрые", "экономные"), "en": ("big-spending", "small-spending")},
    "recency_days": {"ru": ("давно не приходившие", "недавние"), "en": ("lapsed", "recent")},
}
SEGMENT_TAIL = {"ru": "клиенты", "en": "members"}
TYPICAL = {"ru": "типичные клиенты", "en": "typical members"}

RATES = {  # visits per 30 days -> words, the first whose floor the rate reaches
    "ru": (
        (6.0, "чаще раза в неделю"),
        (3.5, "еженедельно"),
        (1.8, "раз в две недели"),
        (0.8, "ежемесячно"),
        (0.0, "реже раза в месяц"),
    ),
    "en": (
        (6.0, "more than weekly"),
        (3.5, "weekly"),
        (1.8, "every two weeks"),
        (0.8, "monthly"),
        (0.0, "less than monthly"),
    ),
}

REASONS = {
    "visits_change": {
        "ru": "визиты упали: {before} → {last}",
        "en": "visits fell from {before} to {last}",
    },
    "visits_rose": {
        "ru": "визиты резко выросли: {before} → {last}",
        "en": "visits jumped from {before} to {last}",
    },
    "recency_days": {"ru": "нет покупок уже {days}", "en": "no purchase for {days}"},
    "frequency": {"ru": "в среднем {visits} за месяц", "en": "{visits} a month on average"},
    "amount_change": {
        "ru": "средний чек снизился: {before} → {last} ₽",
        "en": "the average check fell from {before} to {last} RUB",
    },
    "amount_rose": {
        "ru": "средний чек вырос: {before} → {last} ₽",
        "en": "the average check rose from {before} to {last} RUB",
    },
    "tenure_days": {
        "ru": "новый клиент: первая покупка {days} назад",
        "en": "a newcomer: first purchase {days} ago",
    },
}

# metric -> language -> (name, "rose", "fell"): Russian verbs agree with the noun.
METRICS = {
    "revenue": {"ru": ("выручка", "выросла", "упала"), "en": ("revenue", "rose", "fell")},
    "purchases": {
        "ru": ("число покупок", "выросло", "упало"),
        "en": ("the number of purchases", "rose", "fell"),
    },
    "average_check": {
        "ru": ("средний чек", "вырос", "упал"),
        "en": ("the average check", "rose", "fell"),
    },
    "buyers": {
        "ru": ("число покупателей", "выросло", "упало"),
        "en": ("the number of buyers", "rose", "fell"),
    },
    "new_members": {
        "ru": ("число новых клиентов", "выросло", "упало"),
        "en": ("the number of new members", "rose", "fell"),
    },
}
INSIGHT = {
    "ru": "{metric} {direction} на {percent}% к среднему за предыдущие четыре недели",
    "en": "{metric} {direction} {percent}% against the previous four weeks",
}
MOSTLY = {"ru": ", больше всего в сегменте «{segment}»", "en": ", mostly in segment “{segment}”"}


def rate_words(language: str, visits_per_30_days: float) -> str:
    for floor, words in RATES[language]:
        if visits_per_30_days >= floor:
            return words
    return RATES[language][-1][1]
