"""Seed data for `refbot demo`: two partners, their catalogues and rules, a
deposit, and three months of purchases by forty members, so that offers,
the wallet and surveys have something real to work on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from refbot.services import Services
from referral.errors import DuplicateCompany
from referral.links import LinkTarget

COMPANIES = (("Кофейня «Зерно»", "zerno"), ("Книжная лавка", "books"))

CATALOGUES = {
    "zerno": """code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon
espresso,Эспрессо,coffee,150.00,0,Зерно на Тверской,55.7649,37.6056
latte,Латте,coffee,220.00,10,Зерно на Тверской,55.7649,37.6056
croissant,Круассан,bakery,180.00,0,Зерно на Арбате,55.7494,37.5912
cake,Медовик,bakery,250.00,15,Зерно на Арбате,55.7494,37.5912
""",
    "books": """code,name,category,price,discount_percent,outlet_name,outlet_lat,outlet_lon
novel,Роман недели,books,700.00,0,Лавка на Пятницкой,55.7397,37.6286
comics,Комиксы,books,450.00,0,Лавка на Пятницкой,55.7397,37.6286
notebook,Блокнот,stationery,300.00,20,Лавка на Пятницкой,55.7397,37.6286
""",
}

RULES = {
    "zerno": {
        "purchase_points": "10",
        "cashback": "5",
        "survey_points": "50",
        "invite_points": "100",
        "review_points": "20",
        "return_window_days": "0",
    },
    "books": {"purchase_points": "20", "cashback": "3", "return_window_days": "0"},
}

# Tastes of the seeded members: what each kind of regular tends to buy.
HABITS = (
    ("zerno", ("espresso", "croissant")),
    ("zerno", ("latte", "cake")),
    ("zerno", ("latte", "croissant", "cake")),
    ("books", ("novel", "notebook")),
)


async def seed(services: Services, now: datetime | None = None) -> None:
    """Idempotent: a second demo run on the same DATA_DIR finds it all there."""
    now = now or datetime.now(UTC)
    loyalty = services.loyalty
    for name, code in COMPANIES:
        try:
            await services.companies.add(name, code)
        except DuplicateCompany:
            return
        await loyalty.catalog.import_csv(code, CATALOGUES[code])
        await loyalty.rules.set(code, RULES[code])
        company = await services.companies.get(code)
        await services.ledger.deposit(company.id, 1_000_000, f"demo-deposit-{code}")
        await services.ledger.deposit(
            company.id, 10_000_000, f"demo-deposit-cb-{code}", currency="cashback"
        )
    rng = random.Random(7)
    rows: dict[str, list[str]] = {"zerno": [], "books": []}
    for index in range(40):
        company, services_liked = HABITS[index % len(HABITS)]
        member, _ = await services.members.accept_consent(
            9_000_000_000 + index, LinkTarget(company), "ru"
        )
        for visit in range(rng.randint(3, 8)):
            service = rng.choice(services_liked)
            at = now - timedelta(days=rng.randint(1, 90), hours=visit)
            price = {
                "espresso": 150,
                "latte": 198,
                "croissant": 180,
                "cake": 212,
                "novel": 700,
                "comics": 450,
                "notebook": 240,
            }[service]
            rows[company].append(f"{member.pseudonym},{service},{price}.00,{at.isoformat()}")
        if index % 5 == 0:  # some coffee people read too, which is what offers pick up
            rows["books"].append(
                f"{member.pseudonym},novel,700.00,{(now - timedelta(days=3)).isoformat()}"
            )
    for code, lines in rows.items():
        await loyalty.purchases.import_csv(
            code, "client,service,amount,time\n" + "\n".join(lines) + "\n"
        )
    await services.ledger.settle_due(now)
