"""The demo's partner network, as data: who the partners are, what they sell and
where, their bundles and earning rules, and the operator's cross-service links.

Plain tuples and dicts only: seed.py turns them into the CSV files and calls
a partner or the operator would make.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    price: int  # roubles
    discount_percent: int = 0


@dataclass(frozen=True)
class Outlet:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    kind: str
    items: tuple[Item, ...]
    outlets: tuple[Outlet, ...]
    rules: dict[str, str]
    bundles: tuple[tuple[str, str, tuple[str, ...], int], ...] = ()  # code, name, items, %


def _earning(purchase_points: int, cashback_percent: int, **points: int) -> dict[str, str]:
    """A partner's earning rules as its rules file would hold them. Every demo
    partner settles at once (no return window), so a newcomer's first
    purchases show their rewards in /wallet straight away."""
    return {
        "purchase_points": str(purchase_points),
        "cashback": str(cashback_percent),
        **{name: str(value) for name, value in points.items()},
        "return_window_days": "0",
    }


PARTNERS: tuple[Partner, ...] = (
    Partner(
        "zerno",
        "Кофейня «Зерно»",
        "coffee chain",
        (
            Item("espresso", "Эспрессо", "coffee", 150),
            Item("cappuccino", "Капучино", "coffee", 210),
            Item("latte", "Латте", "coffee", 220, 10),
            Item("raf", "Раф", "coffee", 260),
            Item("croissant", "Круассан", "bakery", 180),
            Item("cake", "Медовик", "bakery", 250, 15),
            Item("beans", "Зерно для дома, 250 г", "coffee beans", 690),
        ),
        (
            Outlet("Зерно на Тверской", 55.7649, 37.6056),
            Outlet("Зерно на Арбате", 55.7494, 37.5912),
            Outlet("Зерно у Курской", 55.7586, 37.6590),
        ),
        _earning(10, 5, survey_points=50, invite_points=100, review_points=20),
        (("breakfast", "Завтрак", ("cappuccino", "croissant"), 15),),
    ),
    Partner(
        "books",
        "Книжная лавка «Переплёт»",
        "bookshop",
        (
            Item("novel", "Роман недели", "books", 700),
            Item("nonfiction", "Нон-фикшн", "books", 950),
            Item("kids", "Детская книга", "kids books", 520),
            Item("comics", "Комиксы", "books", 450),
            Item("notebook", "Блокнот", "stationery", 300, 20),
        ),
        (
            Outlet("Переплёт на Пятницкой", 55.7397, 37.6286),
            Outlet("Переплёт на Соколе", 55.8050, 37.5150),
        ),
        _earning(20, 3, review_points=30, survey_points=40),
        (("reader", "Читателю", ("novel", "notebook"), 10),),
    ),
    Partner(
        "pulse",
        "Фитнес-клуб «Пульс»",
        "fitness club",
        (
            Item("month", "Абонемент на месяц", "fitness", 3900),
            Item("visit", "Разовое посещение", "fitness", 700),
            Item("trainer", "Персональная тренировка", "fitness", 2200),
            Item("yoga", "Йога, занятие", "fitness", 600),
            Item("sauna", "Сауна", "spa", 800, 10),
        ),
        (
            Outlet("Пульс на Ленинском", 55.7070, 37.5850),
            Outlet("Пульс в Сокольниках", 55.7890, 37.6790),
        ),
        _earning(50, 2, survey_points=50),
        (("start", "Старт", ("month", "trainer"), 10),),
    ),
    Partner(
        "koleso",
        "Автосервис «Колесо»",
        "car service",
        (
            Item("wash", "Мойка", "car wash", 900),
            Item("oil", "Замена масла", "maintenance", 3500),
            Item("tyres", "Шиномонтаж", "tyres", 4000, 10),
            Item("diagnostics", "Диагностика", "maintenance", 2500),
        ),
        (
            Outlet("Колесо на Варшавке", 55.6540, 37.6190),
            Outlet("Колесо в Строгино", 55.8040, 37.4030),
        ),
        _earning(40, 3),
        (("season", "Сезонный сервис", ("tyres", "wash"), 15),),
    ),
    Partner(
        "apteka",
        "Аптека «Здоровье»",
        "pharmacy",
        (
            Item("vitamins", "Витамины", "health", 890),
            Item("cold", "Средство от простуды", "health", 450),
            Item("allergy", "Средство от аллергии", "health", 520),
            Item("kidsvit", "Детские витамины", "kids health", 640),
            Item("sunscreen", "Солнцезащитный крем", "cosmetics", 780, 10),
        ),
        (
            Outlet("Здоровье на Таганке", 55.7410, 37.6530),
            Outlet("Здоровье на Соколе", 55.8060, 37.5140),
            Outlet("Здоровье у Павелецкой", 55.7300, 37.6380),
        ),
        _earning(15, 2, survey_points=30),
        (("immunity", "Иммунитет", ("vitamins", "cold"), 10),),
    ),
    Partner(
        "oktyabr",
        "Кинотеатр «Октябрь»",
        "cinema",
        (
            Item("ticket", "Билет в кино", "cinema", 450),
            Item("ticket3d", "Билет 3D", "cinema", 600),
            Item("popcorn", "Попкорн", "snacks", 350),
            Item("combo", "Попкорн и напиток", "snacks", 520, 10),
        ),
        (Outlet("Октябрь на Новом Арбате", 55.7520, 37.5870),),
        _earning(25, 4, review_points=20),
        (("evening", "Вечер в кино", ("ticket", "popcorn"), 20),),
    ),
    Partner(
        "flora",
        "Цветы «Флора»",
        "florist",
        (
            Item("bouquet", "Букет", "flowers", 2500),
            Item("tulips", "Тюльпаны, 15 шт.", "flowers", 1800),
            Item("plant", "Комнатное растение", "plants", 1200),
        ),
        (Outlet("Флора у Чистых прудов", 55.7640, 37.6390),),
        _earning(30, 5),
    ),
)

# The operator's hand-written links between services of different partners:
# what covers a newcomer before the history speaks (company, item, company, item, weight).
CROSS_LINKS: tuple[tuple[str, str, str, str, float], ...] = (
    ("oktyabr", "ticket", "zerno", "cake", 0.6),
    ("pulse", "month", "apteka", "vitamins", 0.9),
    ("koleso", "wash", "zerno", "espresso", 0.5),
    ("books", "kids", "apteka", "kidsvit", 0.6),
    ("zerno", "latte", "books", "novel", 0.7),
    # A newcomer at «Зерно» starts with its breakfast (live.py): this is what
    # their first /offers can read from their own purchases.
    ("zerno", "cappuccino", "books", "novel", 0.6),
    ("oktyabr", "ticket", "flora", "bouquet", 0.4),
)


def catalogue_csv(partner: Partner) -> str:
    """The file a partner uploads: every item sold at every outlet it lists, one
    outlet per row (the catalogue keeps one outlet per row, so rows cycle them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ("code", "name", "category", "price", "discount_percent")
        + ("outlet_name", "outlet_lat", "outlet_lon")
    )
    for index, item in enumerate(partner.items):
        outlet = partner.outlets[index % len(partner.outlets)]
        writer.writerow(
            (item.code, item.name, item.category, f"{item.price}.00", item.discount_percent)
            + (outlet.name, outlet.lat, outlet.lon)
        )
    return out.getvalue()


def cross_matrix_csv() -> str:
    rows = [f"{a},{sa},{b},{sb},{w}" for a, sa, b, sb, w in CROSS_LINKS]
    return "company_a,service_a,company_b,service_b,weight\n" + "\n".join(rows) + "\n"


def partner(code: str) -> Partner:
    return next(p for p in PARTNERS if p.code == code)


def price_paid(item: Item) -> int:
    """Kopecks a member pays for one unit after the item's discount."""
    return item.price * (100 - item.discount_percent)
