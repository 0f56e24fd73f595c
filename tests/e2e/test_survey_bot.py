"""Surveys through the real bot and the local Bot API server: the marketer's /survey
builder, progress in one edited message, /survey results, members' /surveys, stale
and foreign buttons, and the role check."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from bot.keyboards.surveys import SurveyPick
from localapi import Call, FakeUser
from referral.models import Member
from referral.offers.models import MemberSegment
from referral.surveys import models as m
from referral.surveys.spec import parse_spec
from tests.e2e.harness import BotUnderTest, button, buttons
from tests.e2e.survey_helpers import consenting
from tests.surveys.factories import QUESTIONS

MARA = FakeUser(900_001, "Mara", language_code="en")


async def world(refbot: BotUnderTest, n: int = 7) -> list[FakeUser]:
    """Company acme with ``n`` consenting members (English) and Mara, its marketer."""
    company = await refbot.services.companies.add("Acme Coffee", "acme")
    await refbot.services.ledger.deposit(company.id, 100_000, "e2e-deposit")
    users = [FakeUser(3_000_000 + i, f"U{i}", language_code="en") for i in range(n)]
    await consenting(refbot.services.members, users, "acme")
    await refbot.services.roles.grant("marketer", MARA.id)
    return users


async def label(refbot: BotUnderTest, users: list[FakeUser], segment: str) -> None:
    async with refbot.services.db.begin() as session:
        ids = (
            await session.scalars(
                select(Member.id).where(Member.telegram_id.in_([u.id for u in users]))
            )
        ).all()
        await session.execute(
            insert(MemberSegment),
            [{"member_id": i, "segment": segment, "updated_at": datetime.now(UTC)} for i in ids],
        )


async def queued_survey(refbot: BotUnderTest, **over: object) -> int:
    data = {
        "title": "Coffee quality",
        "company": "acme",
        "reward_points": 50,
        "questions": QUESTIONS,
    }
    survey_id = await refbot.services.surveys.create(parse_spec(data | over))
    await refbot.services.surveys.queue(survey_id)
    return survey_id


async def until(probe, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def first_question(refbot: BotUnderTest, user: FakeUser, timeout: float = 20) -> Call:
    """The survey's first question, as the bot's outbox drainer delivered it."""
    await until(
        lambda: refbot.api.delivered(user.id, "sendMessage"), timeout, f"a question to {user.id}"
    )
    return refbot.api.delivered(user.id, "sendMessage")[0]


async def answer_all(refbot: BotUnderTest, user: FakeUser, q1: Call, n: int) -> None:
    """Rating n+1, the second option, Morning and Evening, and a text with markup."""
    q2 = (await refbot.press(user, q1, buttons(q1)[n % 5][1], replies=2))[-1]
    q3 = (await refbot.press(user, q2, button(q2, "Latte"), replies=2))[-1]
    await refbot.press(user, q3, button(q3, "Morning"))
    await refbot.press(user, q3, button(q3, "Evening"))
    q4 = (await refbot.press(user, q3, button(q3, "Done"), replies=2))[-1]
    assert "Anything we should improve?" in q4.params["text"]
    thanks = (await refbot.say(user, f"More oat milk <{n}>"))[0]
    assert "50 points credited" in thanks.params["text"]


async def deliveries(refbot: BotUnderTest, survey_id: int) -> list[tuple[int, int, int]]:
    """(telegram id, position, answers stored) of every recipient."""
    d, a = m.SurveyDelivery, m.SurveyAnswer
    answers = (
        select(func.count())
        .where(a.survey_id == d.survey_id, a.member_id == d.member_id)
        .scalar_subquery()
    )
    async with refbot.services.db() as session:
        return [
            tuple(r)
            for r in (
                await session.execute(
                    select(Member.telegram_id, d.position, answers)
                    .join(Member, Member.id == d.member_id)
                    .where(d.survey_id == survey_id)
                    .order_by(Member.telegram_id)
                )
            ).all()
        ]


async def say(refbot: BotUnderTest, text: str, replies: int = 1) -> list[Call]:
    """Mara types; at a person's pace, under the bot's per-user flood bucket."""
    await asyncio.sleep(0.25)
    return await refbot.say(MARA, text, replies)


async def press(
    refbot: BotUnderTest, message: Call, text_part: str, replies: int = 1
) -> list[Call]:
    await asyncio.sleep(0.25)
    return await refbot.press(MARA, message, button(message, text_part), replies)


def alerts(refbot: BotUnderTest) -> list[str]:
    return [c.params.get("text", "") for c in refbot.api.calls("answerCallbackQuery")]


async def test_marketer_builds_a_segment_survey_sees_preview_and_reach_then_one_progress_message(
    refbot,
):
    users = await world(refbot, 8)
    loyal, dormant = users[:5], users[5:]
    await label(refbot, loyal, "loyal")
    await label(refbot, dormant, "dormant")

    await say(refbot, "/survey")
    kinds = (await say(refbot, "Coffee <b>quality</b>"))[0]
    for n, q in enumerate(QUESTIONS):
        label_of = {"rating": "Rating", "single": "Single", "multi": "Multiple", "text": "Free"}
        await press(refbot, kinds, label_of[q["kind"]])
        more = (await say(refbot, q["text"]))[0]
        if q["kind"] in ("single", "multi"):
            assert "one per line" in more.params["text"]
            more = (await say(refbot, "\n".join(q["options"])))[0]
        assert "Another one?" in more.params["text"]
        if n < len(QUESTIONS) - 1:
            kinds = (await press(refbot, more, "Add a question"))[0]
        else:
            target = (await press(refbot, more, "Next"))[0]
    assert "company" in target.params["text"]

    segments = (await say(refbot, "acme"))[0]
    assert "8 members" in segments.params["text"] and "dormant, loyal" in segments.params["text"]
    refused = (await say(refbot, "vip"))[0]
    assert "segment" in refused.params["text"] and "loyal" in refused.params["text"]
    assert "Points" in (await say(refbot, "loyal"))[0].params["text"]
    when = (await say(refbot, "50"))[0]
    assert "even in quiet hours" in when.params["text"] and "Europe/Moscow" in when.params["text"]

    # The preview: the four questions as members will see them, then the reach.
    *preview, confirm = await press(refbot, when, "Now", replies=5)
    assert [buttons(p) for p in preview][0][0][0] == "1"
    assert "Coffee &lt;b&gt;quality&lt;/b&gt;" in preview[0].params["text"]
    assert "It reaches 5 members" in confirm.params["text"]
    assert refbot.api.delivered(loyal[0].id) == []  # nothing goes out before confirming

    progress = (await press(refbot, confirm, "Send"))[0]
    assert progress.method == "sendMessage" and "queued 5" in progress.params["text"]
    q1s = [await first_question(refbot, u) for u in loyal]
    for q1 in q1s:  # exactly what the preview showed
        assert q1.params["text"] == preview[0].params["text"]
        assert buttons(q1) == buttons(preview[0])
    await asyncio.sleep(0.5)
    assert all(refbot.api.delivered(u.id) == [] for u in dormant)

    for n, (user, q1) in enumerate(zip(loyal, q1s, strict=True)):
        await answer_all(refbot, user, q1, n)
    message_id = progress.result["message_id"]

    def edited_to_done() -> bool:
        edits = refbot.api.calls("editMessageText", MARA.id)
        return bool(edits) and "answered in full 5" in edits[-1].params["text"]

    await until(edited_to_done, 15, "the progress message to show five answers")
    after = refbot.sent(MARA)[refbot.sent(MARA).index(progress) + 1 :]
    # One message, edited in place: no further sends, every edit aims at it.
    assert [c.method for c in after if c.method != "editMessageText"] == []
    assert {c.params["message_id"] for c in after} == {message_id}
    assert "sent 5" in after[-1].params["text"]
    assert len(after) <= 10  # refreshed when counts change, not per message


async def test_survey_results_in_chat_charts_and_a_csv_matching_the_answers(refbot):
    users = await world(refbot, 5)
    survey_id = await queued_survey(refbot)
    for n, user in enumerate(users):
        await answer_all(refbot, user, await first_question(refbot, user), n)

    replies = await refbot.say(MARA, f"/survey results {survey_id}", replies=5)
    summary, photos, document = replies[0], replies[1:4], replies[4]
    assert (
        "5 members answered" in summary.params["text"]
        and "Mean rating: 3.00" in summary.params["text"]
    )
    assert "Latte: 5 (100.0%)" in summary.params["text"]
    assert "More oat milk &lt;4&gt;" in summary.params["text"]
    assert [p.method for p in photos] == ["sendPhoto"] * 3  # rating, single, multi; not text
    for photo in photos:
        ((name, content),) = photo.files.values()
        assert name.endswith(".png") and content.startswith(b"\x89PNG")
    assert document.method == "sendDocument"
    ((name, content),) = document.files.values()
    assert name == f"survey-{survey_id}.csv"
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert list(rows[0]) == ["member", "question", "question_text", "answer", "answered_at"]
    assert len(rows) == 5 * 4
    by_question = {
        q: sorted(r["answer"] for r in rows if r["question"] == str(q)) for q in range(1, 5)
    }
    assert by_question == {
        1: ["1", "2", "3", "4", "5"],
        2: ["Latte"] * 5,
        3: ["Morning; Evening"] * 5,
        4: sorted(f"More oat milk <{n}>" for n in range(5)),
    }
    async with refbot.services.db() as session:
        pseudonyms = set((await session.scalars(select(Member.pseudonym))).all())
    assert {r["member"] for r in rows} <= pseudonyms
    assert not any(str(u.id) in content.decode() for u in [*users, MARA])


async def test_member_resumes_from_surveys_and_old_or_foreign_buttons_change_nothing(refbot):
    users = await world(refbot, 5)
    anna = users[0]
    survey_id = await queued_survey(refbot)
    q1 = await first_question(refbot, anna)
    q2 = (await refbot.press(anna, q1, buttons(q1)[3][1], replies=2))[-1]
    state = await deliveries(refbot, survey_id)

    # The rating again, a rating for question 2, and a button of a survey she was not sent.
    other = await refbot.services.surveys.create(
        parse_spec({"title": "Other", "company": "acme", "questions": QUESTIONS})
    )
    for data in (
        buttons(q1)[0][1],
        SurveyPick(s=survey_id, q=1, v=4).pack(),
        SurveyPick(s=other, q=0, v=1).pack(),
    ):
        refbot.api.press_button(anna, q1, data, strict=False)
    await refbot.settle(anna)
    assert await deliveries(refbot, survey_id) == state
    assert alerts(refbot)[-3:] == ["This button is no longer valid."] * 3

    # She comes back later: /surveys lists the open survey and shows where she stopped.
    listing = (await refbot.say(anna, "/surveys"))[0]
    assert [t for t, _ in buttons(listing)] == ["Coffee quality"]
    again = (await refbot.press(anna, listing, buttons(listing)[0][1]))[0]
    assert again.params["text"] == q2.params["text"] and buttons(again) == buttons(q2)
    await refbot.press(anna, again, button(again, "Espresso"), replies=2)
    assert [p for t, p, _ in await deliveries(refbot, survey_id) if t == anna.id] == [2]


async def test_survey_is_refused_to_a_member_without_the_marketer_role(refbot):
    users = await world(refbot, 5)
    survey_id = await queued_survey(refbot)
    for text in ("/survey", f"/survey results {survey_id}"):
        reply = (await refbot.say(users[0], text))[0]
        assert reply.params["text"] == "This command is only for partner staff and marketers."
    async with refbot.services.db() as session:
        assert await session.scalar(select(func.count()).select_from(m.Survey)) == 1


async def test_a_survey_scheduled_in_the_builder_waits_for_its_time(refbot):
    users = await world(refbot, 5)
    await say(refbot, "/survey")
    kinds = (await say(refbot, "Later"))[0]
    await press(refbot, kinds, "Rating")
    more = (await say(refbot, "How was it?"))[0]
    await press(refbot, more, "Next")
    await say(refbot, "acme")
    await say(refbot, "0")
    *_, confirm = await say(refbot, f"{datetime.now(UTC).year + 1}-06-01 12:00", replies=2)
    assert "It reaches 5 members" in confirm.params["text"]
    progress = (await press(refbot, confirm, "Send"))[0]
    assert "queued 5" in progress.params["text"] and "waiting 5" in progress.params["text"]
    await asyncio.sleep(2)  # the drainer runs every second: nothing is due yet
    assert all(refbot.api.delivered(u.id) == [] for u in users)
