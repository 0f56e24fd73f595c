"""POST /api/v1/purchases and /purchases/batch: the ledger path of the CSV import,
idempotent replays, all-or-nothing batches, item-level errors."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from referral.ledger.activity_models import Purchase
from referral.ledger.bookkeeping_models import Transfer
from referral.ledger.check import check
from referral.links import LinkTarget
from tests.api.conftest import World


@dataclass
class Shop:
    world: World
    member: str  # a member's code, as /wallet shows it
    member_id: int


@pytest.fixture
async def shop(world: World) -> Shop:
    loyalty = world.services.loyalty
    await loyalty.catalog.import_csv("acme", "code,name,category,price\nlatte,Latte,coffee,250\n")
    await loyalty.catalog.import_csv("beta", "code,name,category,price\nnovel,Novel,books,900\n")
    await loyalty.rules.set("acme", {"cashback": "10", "purchase_points": "7"})
    acme = await world.services.companies.get("acme")
    await loyalty.ledger.deposit(acme.id, 1_000_000, "top-up-c", currency="cashback")
    await loyalty.ledger.deposit(acme.id, 1_000_000, "top-up-p", currency="points")
    member, _ = await world.services.members.accept_consent(5, LinkTarget("acme"), "ru")
    return Shop(world, member.pseudonym, member.id)


def purchase(shop: Shop, purchase_id: str = "r-1", **changes: object) -> dict:
    return {
        "purchase_id": purchase_id,
        "member": shop.member,
        "service": "latte",
        "amount_minor": 45050,
        "time": "2026-11-30T14:30:00+03:00",
        **changes,
    }


async def ledger_rows(shop: Shop) -> tuple[int, int]:
    async with shop.world.services.db() as session:
        purchases = await session.scalar(select(func.count()).select_from(Purchase))
        transfers = await session.scalar(select(func.count()).select_from(Transfer))
    return int(purchases or 0), int(transfers or 0)


async def test_a_purchase_accrues_cashback_and_points(shop: Shop, http: httpx.AsyncClient):
    response = await http.post("/api/v1/purchases", json=purchase(shop), headers=shop.world.auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["cashback_minor"], body["points"], body["status"]) == (4505, 7, "completed")
    assert response.headers["idempotent-replayed"] == "false"
    [balance] = (await shop.world.services.loyalty.wallet.wallet(shop.member_id)).balances
    assert balance.cashback_incoming == 4505
    assert await check(shop.world.services.db) == []


async def test_the_same_purchase_again_changes_nothing_and_answers_the_same(
    shop: Shop, http: httpx.AsyncClient
):
    first = await http.post("/api/v1/purchases", json=purchase(shop), headers=shop.world.auth())
    rows = await ledger_rows(shop)
    again = await http.post("/api/v1/purchases", json=purchase(shop), headers=shop.world.auth())
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert await ledger_rows(shop) == rows
    assert await check(shop.world.services.db) == []


async def test_a_purchase_id_reused_for_another_sale_is_409(shop: Shop, http: httpx.AsyncClient):
    await http.post("/api/v1/purchases", json=purchase(shop), headers=shop.world.auth())
    rows = await ledger_rows(shop)
    other = await http.post(
        "/api/v1/purchases", json=purchase(shop, amount_minor=100), headers=shop.world.auth()
    )
    assert other.status_code == 409
    assert other.json()["error"] == "purchase_id_reused"
    assert await ledger_rows(shop) == rows


async def test_a_reversal_voids_the_pending_cashback(shop: Shop, http: httpx.AsyncClient):
    await http.post("/api/v1/purchases", json=purchase(shop), headers=shop.world.auth())
    reversed_ = await http.post(
        "/api/v1/purchases", json=purchase(shop, status="reversed"), headers=shop.world.auth()
    )
    assert reversed_.json()["status"] == "reversed"
    assert (reversed_.json()["cashback_minor"], reversed_.json()["points"]) == (0, 0)
    [balance] = (await shop.world.services.loyalty.wallet.wallet(shop.member_id)).balances
    assert balance.cashback_incoming == 0
    assert await check(shop.world.services.db) == []


async def test_a_batch_with_one_bad_item_applies_none_and_names_it(
    shop: Shop, http: httpx.AsyncClient
):
    items = [
        purchase(shop, "b-1"),
        purchase(shop, "b-2"),
        purchase(shop, "b-3", service="novel"),  # beta's service: not in acme's catalogue
        purchase(shop, "b-4", member="nobody"),
    ]
    response = await http.post(
        "/api/v1/purchases/batch", json={"purchases": items}, headers=shop.world.auth()
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_items"
    assert [f["loc"] for f in body["fields"]] == [
        ["body", "purchases", 2, "service"],
        ["body", "purchases", 3, "member"],
    ]
    assert await ledger_rows(shop) == (0, 2)  # only the two deposits


async def test_a_batch_is_recorded_whole_and_replays_whole(shop: Shop, http: httpx.AsyncClient):
    items = [purchase(shop, f"b-{n}", amount_minor=1000 + n) for n in range(50)]
    first = await http.post(
        "/api/v1/purchases/batch", json={"purchases": items}, headers=shop.world.auth()
    )
    assert first.status_code == 200, first.text
    assert [p["purchase_id"] for p in first.json()["purchases"]] == [f"b-{n}" for n in range(50)]
    again = await http.post(
        "/api/v1/purchases/batch", json={"purchases": items}, headers=shop.world.auth()
    )
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (await ledger_rows(shop))[0] == 50
    assert await check(shop.world.services.db) == []


async def test_a_batch_repeating_a_purchase_id_is_refused(shop: Shop, http: httpx.AsyncClient):
    items = [purchase(shop, "same"), purchase(shop, "same")]
    response = await http.post(
        "/api/v1/purchases/batch", json={"purchases": items}, headers=shop.world.auth()
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["loc"] == ["body", "purchases", 1, "purchase_id"]


async def test_a_batch_past_1000_or_empty_is_422(shop: Shop, http: httpx.AsyncClient):
    for items in ([], [purchase(shop, f"x-{n}") for n in range(1001)]):
        response = await http.post(
            "/api/v1/purchases/batch", json={"purchases": items}, headers=shop.world.auth()
        )
        assert response.status_code == 422
    assert (await ledger_rows(shop))[0] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_minor": "45050"},
        {"amount_minor": 450.5},
        {"amount_minor": 0},
        {"amount_minor": True},
        {"time": "yesterday"},
        {"status": "refunded"},
        {"purchase_id": ""},
        {"purchase_id": "x" * 65},
        {"purchase_id": "nul\x00inside"},  # PostgreSQL text cannot hold it: 422, not 500
        {"service": "\x01\x00"},
        {"member": "a\x00"},
        {"time": 1764500000},  # a number is not read as a Unix time
        {"surprise": 1},
    ],
    ids=lambda c: next(iter(c)) + "=" + repr(next(iter(c.values())))[:12],
)
async def test_wrong_types_and_values_are_422_and_change_nothing(
    shop: Shop, http: httpx.AsyncClient, changes
):
    response = await http.post(
        "/api/v1/purchases", json=purchase(shop, **changes), headers=shop.world.auth()
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["loc"][:2] == ["body", next(iter(changes))]
    assert (await ledger_rows(shop))[0] == 0


async def test_a_short_deposit_refuses_the_purchase_with_409(shop: Shop, http: httpx.AsyncClient):
    huge = purchase(shop, amount_minor=10**11)  # 10 % cashback far past the deposit
    response = await http.post("/api/v1/purchases", json=huge, headers=shop.world.auth())
    assert response.status_code == 409
    assert response.json()["error"] == "insufficient_deposit"
    assert (await ledger_rows(shop))[0] == 0


async def test_another_company_cannot_see_or_replay_a_purchase(shop: Shop, http: httpx.AsyncClient):
    await http.post("/api/v1/purchases", json=purchase(shop), headers=shop.world.auth())
    # Beta's key sending acme's purchase id is beta's own (unrelated) purchase id;
    # latte is not in beta's catalogue, so it is refused without a word about acme.
    theirs = await http.post(
        "/api/v1/purchases", json=purchase(shop), headers=shop.world.auth(shop.world.other_key)
    )
    assert theirs.status_code == 422
    assert "acme" not in theirs.text.lower()
