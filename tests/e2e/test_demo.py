"""`refbot demo` is the README's first command: it must keep walking the whole journey."""

from __future__ import annotations

from bot.demo import run_demo


async def test_demo_walks_the_whole_journey_offline(tmp_path):
    lines: list[str] = []
    assert await run_demo(tmp_path, echo=lines.append) == 0
    transcript = "\n".join(lines)
    for expected in (
        "Согласие на обработку данных",  # consent first
        "Псевдоним:",  # /privacy
        "баллы за покупку: +10",  # the imported purchase reached the wallet
        "Заявка отправлена партнёру",  # an accepted offer became a lead
        "i_zerno_",  # the personal invite link
        "Вопрос 1 из 2",  # the survey arrived through the outbox
        "Начислено баллов: 50",  # and its reward was credited once
        "60 баллов",
        "Как копить в «Кофейня «Зерно»»",  # the rules in plain words under /wallet
        "недействительна",  # a forged link is refused
    ):
        assert expected in transcript, expected
    # A second run on the same DATA_DIR starts a fresh world and works again.
    assert await run_demo(tmp_path, echo=lambda _: None) == 0
