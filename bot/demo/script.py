"""`refbot demo --script`: a scripted member walks the journey while the chat is
printed as a transcript, for a terminal (and the test that keeps it working)."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.demo.histories import MEMBERS
from bot.demo.product import running_product
from bot.demo.seed import COMPANIES
from bot.demo.world import BOT_USERNAME, LINK_SECRET, fresh_world
from localapi import Call, FakeUser, LocalBotAPI
from referral import links
from referral.surveys.spec import parse_spec

DEMO_SURVEY = {
    "title": "Как вам наш кофе?",
    "company": "zerno",
    "reward_points": 50,
    "questions": [
        {"kind": "rating", "text": "Оцените кофе от 1 до 5"},
        {
            "kind": "single",
            "text": "Что вы берёте чаще всего?",
            "options": ["Эспрессо", "Латте", "Капучино"],
        },
    ],
}
_TAGS = re.compile(r"<[^>]+>")


def _render(call: Call) -> str:
    if call.method == "editMessageReplyMarkup":
        return "bot:  (the buttons of the previous message are closed)"
    if call.method == "sendPhoto":
        return "bot:  [a picture] " + html.unescape(_TAGS.sub("", call.params.get("caption") or ""))
    text = call.params.get("text") or call.params.get("caption") or f"[{call.method}]"
    text = html.unescape(_TAGS.sub("", text))
    labels = "  ".join(f"[{t}]" for t, _ in call.buttons())
    prefix = "(edited) " if call.method.startswith("edit") else ""
    return f"bot:  {prefix}{text}" + (f"\n      {labels}" if labels else "")


class Chat:
    """Drives one fake member and prints what the bot sends back."""

    def __init__(self, api: LocalBotAPI, user: FakeUser, echo: Callable[[str], None]) -> None:
        self.api, self.user, self.echo, self.seen = api, user, echo, 0

    async def _replies(self, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.15)
            calls = self.api.sent_to(self.user.id)
            if len(calls) > self.seen:
                await asyncio.sleep(0.15)  # let a multi-message answer finish
                calls = self.api.sent_to(self.user.id)
                new, self.seen = calls[self.seen :], len(calls)
                for call in new:
                    self.echo(_render(call))
                return new
        return []

    async def say(self, text: str) -> list[Call]:
        self.echo(f"\nyou:  {text}")
        self.api.send_text(self.user, text)
        return await self._replies()

    async def wait_for_message(self, timeout: float = 15.0) -> list[Call]:
        """What the bot sends on its own (a survey, a reminder)."""
        return await self._replies(timeout)

    async def press(self, call: Call, label_part: str) -> list[Call]:
        for text, data in call.buttons():
            if label_part.lower() in text.lower():
                self.echo(f"\nyou:  *presses [{text}]*")
                self.api.press_button(self.user, call, data)
                return await self._replies()
        raise RuntimeError(f"no button {label_part!r}")


async def run_demo(
    data_dir: Path,
    echo: Callable[[str], None] = print,
    keep_running: bool = False,
    members: int = MEMBERS,
) -> int:
    # A fresh world each run: the local server numbers updates from 1 again, and
    # a kept database would take them for updates it already handled.
    world = await fresh_world(data_dir, members, LINK_SECRET, echo)
    async with (
        LocalBotAPI(bot_username=BOT_USERNAME) as api,
        running_product(world, api) as product,
    ):
        services, settings = product.services, product.settings
        company_name, company_code = COMPANIES[0]
        payload = links.sign(links.LinkTarget(company_code), settings.link_key)
        echo(f"refbot demo: the bot runs against a local Bot API server at {api.url}")
        echo(f"QR code link of «{company_name}»: {links.deep_link(BOT_USERNAME, payload)}")
        anna = FakeUser(int(time.time()), "Анна", language_code="ru")
        chat = Chat(api, anna, echo)
        consent = (await chat.say(f"/start {payload}"))[0]
        question = (await chat.press(consent, "Согласен"))[-1]
        for choice in ("25", "Средний", "Пропустить"):
            question = (await chat.press(question, choice))[-1]
        await chat.say("/privacy")

        member = await services.members.require(anna.id)
        echo(f"\n[the partner reports Anna's purchase: latte, client {member.pseudonym}]")
        await services.loyalty.purchases.import_csv(
            company_code,
            f"client,service,amount,time\n{member.pseudonym},latte,198.00,{_now()}\n",
        )
        await services.ledger.settle_due()
        await chat.say("/wallet")
        offers = await chat.say("/offers")
        if offers and offers[-1].buttons():
            await chat.press(offers[-1], "Интересно")
        await chat.say("/invite")

        survey_id = await services.surveys.create(parse_spec(DEMO_SURVEY))
        queued = await services.surveys.queue(survey_id)
        echo(f"\n[a marketer sends survey #{survey_id} to {queued} members of «{company_name}»]")
        question = (await chat.wait_for_message())[-1]
        question = (await chat.press(question, "5"))[-1]
        await chat.press(question, "Латте")
        await chat.say("/wallet")
        await chat.say("/start c_zerno_forgedAAAAA")
        if keep_running:
            echo(
                f"\nThe local Bot API server stays up at {api.url} "
                f"(control API: {api.url}/_control/info). Ctrl+C to stop."
            )
            await asyncio.Event().wait()
    return 0


def _now() -> str:
    return datetime.now(UTC).isoformat()
