"""Synthetic members and their purchase histories, from a fixed seed.

Each member follows one persona: a handful of habits, each a kind of visit
(a partner, the items taken on that visit with their odds) repeated with the
member's own period, thinned by the season. Some members drift away (their
visits thin out over the last weeks), some joined late, and personas cross
partners (sport and vitamins, the cinema and flowers), which is what the
recommender learns and the offers then say.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

MEMBERS = 2500  # the demo's network: a few thousand, enough for segments and churn
HISTORY_DAYS = 270
DRIFT_SHARE = 0.15  # members whose visits fade over the last weeks
LATE_JOIN_SHARE = 0.2  # members who joined within the last quarter

# Month weights (January first) for habits that follow the season.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    "winter": (1, 1, 0.8, 0.4, 0.2, 0.1, 0.1, 0.1, 0.4, 0.8, 1, 1),
    "spring": (0.1, 0.2, 0.6, 1, 1, 0.6, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1),
    "summer": (0.1, 0.1, 0.2, 0.4, 0.8, 1, 1, 0.9, 0.4, 0.1, 0.1, 0.1),
    "tyres": (0.05, 0.05, 0.3, 1, 0.6, 0.05, 0.05, 0.05, 0.2, 1, 0.8, 0.1),
    "holidays": (0.3, 0.8, 1, 0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 0.3, 0.3, 1),
}


@dataclass(frozen=True)
class Habit:
    company: str
    items: tuple[tuple[str, float], ...]  # item code, odds it is taken on a visit
    period_days: float
    odds: float  # share of the persona's members who have this habit
    season: str = "flat"


@dataclass(frozen=True)
class Persona:
    name: str
    share: float
    habits: tuple[Habit, ...]
    age_bands: tuple[str, ...]
    income_bands: tuple[str, ...]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "coffee commuters",
        0.22,
        (
            Habit("zerno", (("cappuccino", 0.7), ("latte", 0.3), ("croissant", 0.4)), 6, 0.95),
            Habit("zerno", (("beans", 1.0),), 30, 0.3),
            Habit("books", (("novel", 0.8), ("notebook", 0.3)), 45, 0.3),
            Habit("flora", (("tulips", 1.0),), 120, 0.3, "holidays"),
        ),
        ("25-34", "35-44"),
        ("middle", "high"),
    ),
    Persona(
        "readers",
        0.12,
        (
            Habit("books", (("novel", 0.8), ("nonfiction", 0.5), ("notebook", 0.3)), 21, 0.95),
            Habit("zerno", (("latte", 0.8), ("cake", 0.6)), 12, 0.7),
            Habit("oktyabr", (("ticket", 1.0),), 30, 0.35),
        ),
        ("25-34", "45-54", "55+"),
        ("low", "middle"),
    ),
    Persona(
        "athletes",
        0.16,
        (
            Habit("pulse", (("month", 1.0),), 30, 0.9),
            Habit("pulse", (("yoga", 0.7), ("sauna", 0.4)), 14, 0.6),
            Habit("pulse", (("trainer", 1.0),), 14, 0.3),
            Habit("apteka", (("vitamins", 1.0),), 30, 0.75),
            Habit("apteka", (("sunscreen", 1.0),), 45, 0.3, "summer"),
            Habit("zerno", (("espresso", 1.0),), 12, 0.4),
        ),
        ("18-24", "25-34"),
        ("middle", "high"),
    ),
    Persona(
        "drivers",
        0.16,
        (
            Habit("koleso", (("wash", 1.0),), 21, 0.9),
            Habit("koleso", (("oil", 1.0), ("diagnostics", 0.3)), 120, 0.8),
            Habit("koleso", (("tyres", 1.0), ("wash", 0.5)), 30, 0.85, "tyres"),
            Habit("zerno", (("espresso", 0.8), ("croissant", 0.3)), 15, 0.5),
            Habit("apteka", (("allergy", 1.0),), 20, 0.25, "spring"),
        ),
        ("35-44", "45-54"),
        ("middle", "high"),
    ),
    Persona(
        "families",
        0.14,
        (
            Habit("oktyabr", (("ticket", 1.0), ("popcorn", 0.8)), 21, 0.85),
            Habit("books", (("kids", 1.0),), 30, 0.75),
            Habit("apteka", (("kidsvit", 0.7), ("cold", 0.6)), 21, 0.8, "winter"),
            Habit("flora", (("bouquet", 1.0),), 90, 0.3, "holidays"),
        ),
        ("25-34", "35-44"),
        ("low", "middle"),
    ),
    Persona(
        "moviegoers",
        0.10,
        (
            Habit("oktyabr", (("ticket", 0.7), ("ticket3d", 0.4), ("combo", 0.6)), 12, 0.95),
            Habit("zerno", (("raf", 1.0), ("cake", 0.4)), 10, 0.45),
            Habit("flora", (("bouquet", 1.0),), 60, 0.35, "holidays"),
        ),
        ("18-24", "25-34"),
        ("low", "middle"),
    ),
    Persona(
        "occasional",
        0.10,
        (
            Habit("zerno", (("latte", 1.0),), 40, 0.6),
            Habit("apteka", (("cold", 1.0),), 60, 0.5, "winter"),
            Habit("pulse", (("visit", 1.0),), 60, 0.3),
            Habit("oktyabr", (("ticket", 1.0),), 60, 0.4),
        ),
        ("18-24", "45-54", "55+"),
        ("low", "middle", "high"),
    ),
)
REGIONS = ("central", "central", "central", "northwest", "volga")


@dataclass(frozen=True)
class Visit:
    company: str
    items: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class SyntheticMember:
    index: int
    persona: str
    home_company: str  # whose QR code they joined through
    age_band: str
    income_band: str
    region: str
    drifting: bool
    visits: tuple[Visit, ...]


def members(count: int, now: datetime, seed: int = 2026) -> Iterator[SyntheticMember]:
    """`count` members, the same ones for the same seed and `now`'s date."""
    rng = random.Random(seed)
    # Whole days: histories do not shift with the second the demo starts.
    today = now.replace(hour=12, minute=0, second=0, microsecond=0)
    shares = [persona.share for persona in PERSONAS]
    for index in range(count):
        persona = rng.choices(PERSONAS, shares)[0]
        yield _member(rng, index, persona, today)


def _member(rng: random.Random, index: int, persona: Persona, today: datetime) -> SyntheticMember:
    history = HISTORY_DAYS
    if rng.random() < LATE_JOIN_SHARE:
        history = rng.randint(30, 90)
    drifting = rng.random() < DRIFT_SHARE
    drift_from = rng.uniform(20, 60)  # days before today their visits start to fade
    visits: list[Visit] = []
    habits = [h for h in persona.habits if rng.random() < h.odds] or [persona.habits[0]]
    for habit in habits:
        period = habit.period_days * rng.lognormvariate(0, 0.25)
        day = rng.uniform(0, period)
        while day < history:
            days_ago = history - day
            at = today - timedelta(days=days_ago, minutes=rng.randint(0, 600))
            fade = drifting and days_ago < drift_from
            kept = rng.random() < SEASONS[habit.season][at.month - 1] * (0.15 if fade else 1)
            if kept:
                items = tuple(code for code, odds in habit.items if rng.random() < odds)
                if items:
                    visits.append(Visit(habit.company, items, at))
            day += period * rng.uniform(0.7, 1.3)
    visits.sort(key=lambda visit: visit.at)
    home = visits[0].company if visits else habits[0].company
    return SyntheticMember(
        index,
        persona.name,
        home,
        rng.choice(persona.age_bands),
        rng.choice(persona.income_bands),
        rng.choice(REGIONS),
        drifting,
        tuple(visits),
    )
