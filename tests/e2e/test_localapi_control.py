"""The local Bot API server's /_control/ routes refuse a bad body with a 400 that
names the problem, and change nothing: the demo exposes them on 127.0.0.1."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localapi import ControlClient, ControlRefused, FakeUser, LocalBotAPI

ALICE = FakeUser(1001, first_name="Alice")
ALICE_JSON = {"id": ALICE.id, "first_name": "Alice"}

POSTS = [
    "updates",
    "text",
    "press",
    "texts",
    "presses",
    "block",
    "unblock",
    "inject_429",
    "fail_next",
    "rate_limit",
    "hold",
    "release",
]


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    async with LocalBotAPI() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def state(api: LocalBotAPI) -> dict[str, Any]:
    """Everything a control request could change."""
    faults = api.faults
    return copy.deepcopy(
        {
            "rules": [(r.method, r.chat_id, r.remaining, r.error.body()) for r in faults.rules],
            "blocked": sorted(faults.blocked),
            "limits": (faults.per_second_overall, faults.per_chat_per_second),
            "hold": (api.holds.method, api.holds.seconds),
            "calls": len(api.calls(include_polling=True)),
            "updates": (api._last_update_id, len(api.queue.pending)),
            "messages": dict(api.telegram.messages),
        }
    )


async def post(
    http: aiohttp.ClientSession, api: LocalBotAPI, route: str, body: Any, *, raw: bool = False
) -> tuple[int, Any]:
    kw: dict[str, Any] = {"data": body} if raw else {"json": body}
    async with http.post(f"{api.url}/_control/{route}", **kw) as response:
        return response.status, await response.json(content_type=None)


BAD_BODIES = [
    ("hold", b"{not json", True, "the body is not JSON"),
    ("hold", {"method": "sendTelepathy"}, False, "'sendTelepathy' is not a Bot API method"),
    ("hold", {"seconds": "30"}, False, "seconds: Input should be a valid number"),
    ("hold", {"seconds": -1}, False, "seconds: Input should be greater than 0"),
    ("hold", {"metod": "sendMessage"}, False, "metod: Extra inputs are not permitted"),
    ("hold", [1, 2], False, "the body must be a JSON object"),
    ("release", {"now": True}, False, "now: Extra inputs are not permitted"),
    ("release", b"[", True, "the body is not JSON"),
    ("block", {}, False, "chat_id: Field required"),
    ("block", {"chat_id": "1001"}, False, "chat_id: Input should be a valid integer"),
    ("unblock", {"chat_id": True}, False, "chat_id: Input should be a valid integer"),
    ("inject_429", {"count": 0}, False, "count: Input should be greater than or equal to 1"),
    ("inject_429", {"method": "getUpdatez"}, False, "'getUpdatez' is not a Bot API method"),
    ("fail_next", {"method": None, "error_code": 500}, False, "description: Field required"),
    (
        "fail_next",
        {"method": "sendMessage", "error_code": 200, "description": "x"},
        False,
        "error_code: Input should be greater than or equal to 400",
    ),
    ("rate_limit", {"per_chat_per_second": "1"}, False, "per_chat_per_second: Input should"),
    ("text", {"text": "hi"}, False, "user: Field required"),
    ("text", {"user": {"first_name": "A"}, "text": "hi"}, False, "user.id: Field required"),
    ("text", {"user": ALICE_JSON, "text": ""}, False, "text: String should have at least 1"),
    ("press", {"user": ALICE_JSON, "message_id": 7, "data": "x"}, False, "no message 7"),
    ("press", {"user": ALICE_JSON, "message_id": "7", "data": "x"}, False, "message_id: Input"),
    ("texts", {"items": {"user": ALICE_JSON}}, False, "items: Input should be a valid list"),
    ("updates", {"update_id": 5}, False, "exactly one update type"),
    ("updates", {"message": "hi"}, False, "exactly one update type"),
    ("updates", {"update_id": "5", "message": {}}, False, "update_id: Input should be a valid"),
    ("updates", "message", False, "the body must be a JSON object"),
]


@pytest.mark.parametrize(("route", "body", "raw", "reason"), BAD_BODIES)
async def test_a_bad_control_body_gets_a_400_naming_the_problem_and_changes_nothing(
    api: LocalBotAPI, http: aiohttp.ClientSession, route: str, body: Any, raw: bool, reason: str
) -> None:
    api.hold("sendPhoto", 5)  # something in place that a bad request must not undo
    api.inject_429(2, method="sendMessage")
    before = state(api)
    status, answer = await post(http, api, route, body, raw=raw)
    assert status == 400, answer
    assert answer["ok"] is False and answer["error_code"] == 400
    assert reason in answer["description"], answer["description"]
    assert state(api) == before


async def test_a_burst_with_one_bad_press_delivers_none_of_it(
    api: LocalBotAPI, http: aiohttp.ClientSession
) -> None:
    sent = await api.execute(
        "sendMessage",
        {
            "chat_id": ALICE.id,
            "text": "pick",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        },
    )
    message_id = sent[1]["result"]["message_id"]
    good = {"user": ALICE_JSON, "message_id": message_id, "data": "a"}
    before = state(api)
    status, answer = await post(
        http, api, "presses", {"items": [good, {**good, "data": "not-a-button"}]}
    )
    assert status == 400 and "has no button 'not-a-button'" in answer["description"]
    assert state(api) == before
    status, updates = await post(http, api, "presses", {"items": [good, good]})
    assert status == 200 and [u["callback_query"]["data"] for u in updates] == ["a", "a"]


async def test_bad_queries_get_a_400_too(api: LocalBotAPI, http: aiohttp.ClientSession) -> None:
    for path, reason in (
        ("calls?chat_id=alice", "chat_id: 'alice' is not an integer"),
        ("calls?method=sendTelepathy", "'sendTelepathy' is not a Bot API method"),
        ("delivered?method=sendTelepathy", "'sendTelepathy' is not a Bot API method"),
    ):
        async with http.get(f"{api.url}/_control/{path}") as response:
            assert response.status == 400, path
            assert reason in (await response.json())["description"]


async def test_method_names_are_read_as_telegram_reads_them_and_the_client_says_why(
    api: LocalBotAPI,
) -> None:
    async with ControlClient(api.url) as control:
        await control.hold("SENDMESSAGE", seconds=7)  # Bot API method names ignore case
        assert (api.holds.method, api.holds.seconds) == ("sendMessage", 7)
        with pytest.raises(ControlRefused, match="'sendTelepathy' is not a Bot API method"):
            await control.hold("sendTelepathy")
        assert api.holds.method == "sendMessage"
        await control.release()
        assert api.holds.method is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
# The routes' own field names, so that generated bodies get past the first check.
FIELDS = st.sampled_from(
    [
        *("user", "text", "message_id", "data", "items", "chat_id", "method", "seconds"),
        *("count", "retry_after", "error_code", "description", "parameters", "update_id"),
        *("message", "strict", "per_second_overall", "per_chat_per_second"),
    ]
)
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=4)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(route=st.sampled_from(POSTS), body=BODIES)
async def test_no_control_body_gets_a_500(
    api: LocalBotAPI, http: aiohttp.ClientSession, route: str, body: Any
) -> None:
    before = state(api)
    status, answer = await post(http, api, route, body)
    assert status in (200, 400), (status, answer)
    if status == 400:
        assert answer["description"].startswith("Bad Request: ")
        assert state(api) == before
    api.release()  # a valid hold of sendMessage must not outlive this example
