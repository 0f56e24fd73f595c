"""`refbot demo` is the README's first command: it must keep walking the whole journey."""

from __future__ import annotations

import pytest

from bot.demo.script import run_demo
from bot.demo.world import BuildFailed, fresh_world
from referral.db import create_engine, create_sessionmaker
from referral.ledger.check import check

SMALL_NETWORK = 150  # members: the same network, fewer people, so training takes seconds


async def test_demo_walks_the_whole_journey_offline(tmp_path):
    lines: list[str] = []
    assert await run_demo(tmp_path, echo=lines.append, members=SMALL_NETWORK) == 0
    transcript = "\n".join(lines)
    for expected in (
        "Согласие на обработку данных",  # consent first
        "Псевдоним:",  # /privacy
        "баллы за покупку: +10",  # the imported purchase reached the wallet
        "Заявка отправлена партнёру",  # an accepted offer became a lead
        "i_zerno_",  # the personal invite link
        "Вопрос 1 из 2",  # the survey arrived through the outbox
        "Начислено 50 баллов",  # and its reward was credited once
        "60 баллов",
        "Как копить в «Кофейня «Зерно»»",  # the rules in plain words under /wallet
        "недействительна",  # a forged link is refused
    ):
        assert expected in transcript, expected
    assert "Building the demo network once" in transcript
    assert "Почему: хорошо сочетается с" in transcript  # the operator's cross links serve
    assert await _ledger_problems(tmp_path) == []
    # A second run on the same DATA_DIR starts a fresh world, from the kept template.
    again: list[str] = []
    assert await run_demo(tmp_path, echo=again.append, members=SMALL_NETWORK) == 0
    assert not any("Building" in line for line in again)
    assert "Заявка отправлена партнёру" in "\n".join(again)
    assert await _ledger_problems(tmp_path) == []


async def test_a_failed_build_says_why_and_keeps_no_template(tmp_path):
    lines: list[str] = []
    with pytest.raises(BuildFailed, match="building the demo network failed") as failed:
        await fresh_world(tmp_path, 0, "secret", lines.append)  # a network of nobody
    assert "Error" in str(failed.value)  # the build's own last words come along
    assert "Building the demo network once" in lines[0]
    assert not list(tmp_path.glob("template-*/complete"))


async def _ledger_problems(data_dir) -> list[str]:
    """`refbot ledger check` on the demo's database, after the demo stopped."""
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'demo.sqlite3'}")
    try:
        return await check(create_sessionmaker(engine))
    finally:
        await engine.dispose()
