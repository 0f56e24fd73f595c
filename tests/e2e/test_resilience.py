"""Hostile input, duplicates, blocks, 429s, failures and restarts: nothing lost,
nothing done twice, and no table left holding a forgotten user's Telegram id."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from sqlalchemy import select

import referral.all_models  # noqa: F401
from localapi import FakeUser
from referral import links
from referral.db import Base
from referral.models import Consent, Member
from tests.e2e.harness import LINK_SECRET, button, buttons, running_bot

KEY = LINK_SECRET.encode()


async def acme(refbot) -> str:
    await refbot.services.companies.add("Acme Coffee", "acme")
    return links.sign(links.LinkTarget("acme"), KEY)


async def count(refbot, model) -> int:
    async with refbot.services.db() as session:
        return len((await session.scalars(select(model))).all())


async def test_forget_leaves_no_telegram_id_in_any_table(refbot):
    payload = await acme(refbot)
    user = FakeUser(2**41 + 3, "Eve")
    await refbot.join(user, payload)
    await refbot.services.roles.grant("marketer", user.id)
    confirm = (await refbot.say(user, "/forget"))[0]
    done = (await refbot.press(user, confirm, button(confirm, "удалить")))[0]
    assert "удалены" in done.params["text"]

    hits = []
    async with refbot.services.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in (await connection.execute(table.select())).mappings():
                hits += [(table.name, k) for k, v in row.items() if str(v) == str(user.id)]
    assert hits == []
    assert await count(refbot, Member) == 1  # the pseudonymous row stays for the ledger
    reply = (await refbot.say(user, "/privacy"))[0]
    assert "ничего" in reply.params["text"]


async def test_same_update_delivered_twice_is_handled_once(refbot):
    payload = await acme(refbot)
    user = FakeUser(501)
    update = refbot.api.send_text(user, f"/start {payload}")
    consent = (await refbot.wait_sent(user, 1))[0]
    refbot.api.push_update(update)
    press = refbot.api.press_button(user, consent, button(consent, "Соглас"))
    await refbot.wait_sent(user, 2)
    refbot.api.push_update(press)
    await refbot.settle(user)
    texts = [c.params.get("text", "") for c in refbot.sent(user)]
    assert sum("Согласие на обработку" in t for t in texts) == 1
    assert sum("возрастная" in t for t in texts) == 1
    assert await count(refbot, Consent) == 1


async def test_accept_pressed_twice_with_new_update_ids_consents_once(refbot):
    payload = await acme(refbot)
    user = FakeUser(502)
    consent = (await refbot.say(user, f"/start {payload}"))[0]
    data = button(consent, "Соглас")
    refbot.api.press_button(user, consent, data)
    refbot.api.press_button(user, consent, data)
    await refbot.wait_sent(user, 2)
    await refbot.settle(user)
    questions = [
        c
        for c in refbot.sent(user)
        if c.method == "editMessageText" and "возрастная" in c.params["text"]
    ]
    assert len(questions) == 1
    assert await count(refbot, Consent) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "x" * 200,
        "Привет_мир",
        "c_acme'; DROP TABLE members; --",
        "c_acme_AAAAAAAAAAAA",  # well formed, forged signature
        "TRUNCATE",
    ],
)
async def test_hostile_start_payloads_get_a_friendly_refusal(refbot, payload):
    await acme(refbot)
    user = FakeUser(600)
    reply = (await refbot.say(user, f"/start {payload}"))[0]
    assert "недействительна" in reply.params["text"]
    assert await count(refbot, Member) == 0


async def test_edited_and_truncated_real_links_are_refused(refbot):
    payload = await acme(refbot)
    user = FakeUser(601)
    for bad in (payload[:-1], payload[:-5], payload.replace("acme", "acmx"), payload + "A"):
        reply = (await refbot.say(user, f"/start {bad}"))[0]
        assert "недействительна" in reply.params["text"]
    assert await count(refbot, Member) == 0


async def test_forged_buttons_change_nothing(refbot):
    payload = await acme(refbot)
    user = FakeUser(602)
    consent = (await refbot.say(user, f"/start {payload}"))[0]
    forged_company = "cs:ok:" + links.sign(links.LinkTarget("acme"), b"attacker")
    for data in (
        forged_company,
        "cs:ok:c_evil_AAAAAAAAAAAA",
        "pf:age_band:25-34",
        "garbage",
        "pf:age_band:'or 1=1",
    ):
        before = await count(refbot, Member)
        refbot.api.press_button(user, consent, data, strict=False)
        answer = await refbot.api.wait_for("answerCallbackQuery", count=1, timeout=5)
        refbot.api.clear_calls()
        assert answer and await count(refbot, Member) == before == 0
    member_user = FakeUser(603)
    await refbot.join(member_user, payload)
    question = refbot.sent(member_user)[-1]
    refbot.api.clear_calls()
    refbot.api.press_button(member_user, question, "pf:age_band:999", strict=False)
    alert = (await refbot.api.wait_for("answerCallbackQuery", count=1))[0]
    assert alert.params.get("show_alert") in (True, "true")
    report = (await refbot.say(member_user, "/privacy"))[0]
    assert "999" not in report.params["text"]


async def test_blocking_and_unblocking_toggle_reachability(refbot):
    payload = await acme(refbot)
    user = FakeUser(700)
    await refbot.join(user, payload)
    refbot.api.my_chat_member(user, "kicked")
    await _until(lambda: _reachable(refbot, user.id), False)
    refbot.api.my_chat_member(user, "member")
    await _until(lambda: _reachable(refbot, user.id), True)


async def test_send_refused_with_403_marks_member_unreachable(refbot):
    payload = await acme(refbot)
    user = FakeUser(701)
    await refbot.join(user, payload)
    refbot.api.block(user.id)
    refbot.api.send_text(user, "/privacy")
    await _until(lambda: _reachable(refbot, user.id), False)
    refbot.api.unblock(user.id)
    await refbot.say(user, "/start")
    assert await _reachable(refbot, user.id) is True


async def test_429_is_waited_out_and_the_reply_still_arrives(refbot):
    await acme(refbot)
    user = FakeUser(702)
    refbot.api.inject_429(count=1, retry_after=1, method="sendMessage")
    refbot.api.send_text(user, "/help")
    calls = await refbot.api.wait_for("sendMessage", chat_id=user.id, count=1, timeout=8)
    refused = [c for c in refbot.api.calls("sendMessage", chat_id=user.id) if c.failed]
    assert len(refused) == 1 and refused[0].error_code == 429
    assert calls[-1].at - refused[0].at >= 0.9


async def test_failing_handler_apologises_and_the_bot_goes_on(refbot):
    await acme(refbot)
    user = FakeUser(703)
    refbot.api.fail_next("sendMessage", 400, "Bad Request: chat not found", count=1)
    refbot.api.send_text(user, "/help")
    apology = (await refbot.api.wait_for("sendMessage", chat_id=user.id, count=1))[0]
    assert "Извините" in apology.params["text"]
    reply = (await refbot.say(user, "/help"))[0]
    assert "/privacy" in reply.params["text"]


async def test_a_flood_is_throttled_with_one_warning(api, sqlite_file, tmp_path):
    from bot.middlewares.throttling import ThrottlingMiddleware
    from tests.e2e.harness import test_settings

    # A bucket that does not refill during the test: the outcome cannot depend
    # on how fast this machine happens to be.
    throttle = ThrottlingMiddleware(rate=1e-6, burst=5)
    async with running_bot(
        api, test_settings(api, sqlite_file, tmp_path), throttle=throttle
    ) as bot:
        user = FakeUser(704)
        for _ in range(30):
            api.send_text(user, "/help")
        await bot.wait_sent(user, 6)
        await asyncio.sleep(0.5)
        texts = [c.params.get("text", "") for c in bot.sent(user)]
    assert sum("Слишком много" in t for t in texts) == 1
    assert sum("/privacy" in t for t in texts) == 5


async def test_restart_on_the_same_database_keeps_members_and_dedupe(refbot):
    payload = await acme(refbot)
    user = FakeUser(705)
    await refbot.join(user, payload)
    update = refbot.api.send_text(user, "/privacy")
    await refbot.wait_sent(user, len(refbot.sent(user)) + 1)
    settings = refbot.settings
    from tests.e2e.harness import start_bot, stop_bot

    await stop_bot(refbot)
    restarted = await start_bot(refbot.api, settings)
    try:
        before = len(restarted.sent(user))
        restarted.api.push_update(update)  # an old update, delivered again after restart
        await restarted.settle(user)
        assert len(restarted.sent(user)) == before + 1  # only the /help answer
        report = (await restarted.say(user, "/privacy"))[0]
        assert "Acme Coffee" in report.params["text"]
    finally:
        refbot.task = restarted.task
        refbot.dp, refbot.bot, refbot.services = restarted.dp, restarted.bot, restarted.services


async def test_role_only_commands_refuse_users_without_the_role(refbot):
    payload = await acme(refbot)
    user = FakeUser(706)
    await refbot.join(user, payload)
    for command in ("/qr", "/survey", "/stats", "/leads", "/redeem"):
        reply = (await refbot.say(user, command))[0]
        assert "только" in reply.params["text"], command
        assert reply.method == "sendMessage"


async def test_partner_gets_only_their_own_company_qr(refbot):
    zxingcpp = pytest.importorskip("zxingcpp")
    await acme(refbot)
    await refbot.services.companies.add("Other Shop", "other")
    partner = FakeUser(707)
    await refbot.services.roles.grant("partner", partner.id, "acme")
    photo = (await refbot.say(partner, "/qr"))[0]
    assert photo.method == "sendPhoto"
    ((_, image),) = photo.files.values()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    payload = decoded[0].text.split("?start=")[1]
    assert links.parse(payload, KEY) == links.LinkTarget("acme")
    await refbot.settle(partner)
    assert len([c for c in refbot.sent(partner) if c.method == "sendPhoto"]) == 1
    help_text = refbot.sent(partner)[-1].params["text"]
    assert "/qr" in help_text


async def test_help_lists_only_what_the_role_may_use_and_menus_are_per_language(refbot):
    user = FakeUser(708, language_code="en")
    reply = (await refbot.say(user, "/help"))[0]
    assert "/privacy" in reply.params["text"] and "/qr" not in reply.params["text"]
    assert "scan" in reply.params["text"]
    ru = {c["command"]: c["description"] for c in refbot.api.commands("ru")}
    en = {c["command"]: c["description"] for c in refbot.api.commands("en")}
    assert set(ru) == set(en) and "forget" in ru and "qr" not in ru
    assert ru["forget"] != en["forget"]


async def test_language_switch_before_consent_stores_nothing(refbot):
    payload = await acme(refbot)
    user = FakeUser(709, language_code="ru")
    choose = (await refbot.say(user, "/language"))[0]
    await refbot.press(user, choose, button(choose, "English"))
    consent = (await refbot.say(user, f"/start {payload}"))[0]
    assert "Consent to data processing" in consent.params["text"]
    assert await count(refbot, Member) == 0
    assert [t for t, _ in buttons(consent)] == ["I agree", "I decline"]


async def _reachable(refbot, telegram_id: int) -> bool | None:
    async with refbot.services.db() as session:
        return await session.scalar(
            select(Member.reachable).where(Member.telegram_id == telegram_id)
        )


async def _until(probe, expected, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await probe() == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never became {expected}")


async def test_staff_get_their_commands_in_their_own_chat_menu(api, sqlite_file, tmp_path):
    from tests.e2e.harness import test_settings

    settings = test_settings(api, sqlite_file, tmp_path, admin_ids="1")
    async with running_bot(api, settings) as first:
        await first.services.companies.add("Acme Coffee", "acme")
        await first.services.roles.grant("partner", 42, "acme")
    async with running_bot(api, settings):
        partner_menu = {c["command"] for c in api.commands("", {"type": "chat", "chat_id": 42})}
        admin_menu = {c["command"] for c in api.commands("", {"type": "chat", "chat_id": 1})}
    assert "qr" in partner_menu and "survey" not in partner_menu
    assert "survey" in admin_menu
