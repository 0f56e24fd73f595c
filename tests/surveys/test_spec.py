"""The survey file: what is accepted, and what is refused with the field and reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrations.runner import downgrade_async, upgrade_async
from referral.surveys.spec import KINDS, MAX_OPTIONS, MAX_QUESTION_TEXT, InvalidSurvey, parse_spec

label = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=20)


def survey(questions: list[dict]) -> dict:
    return {"title": "T", "company": "acme", "questions": questions}


@given(kind=st.sampled_from(("single", "multi")), options=st.lists(label, unique=True, max_size=20))
def test_choice_questions_need_2_to_12_distinct_options(kind, options):
    data = survey([{"kind": kind, "text": "Q?", "options": options}])
    if 2 <= len(options) <= MAX_OPTIONS:
        assert parse_spec(data).questions[0].options == [o.strip() for o in options]
    else:
        with pytest.raises(InvalidSurvey) as refused:
            parse_spec(data)
        assert refused.value.field == "questions.0.options"


@given(kind=st.text(min_size=1, max_size=10).filter(lambda k: k not in KINDS))
def test_unknown_kind_is_refused_naming_the_field(kind):
    with pytest.raises(InvalidSurvey) as refused:
        parse_spec(survey([{"kind": "rating", "text": "ok"}, {"kind": kind, "text": "Q?"}]))
    assert refused.value.field == "questions.1.kind" and "unknown kind" in refused.value.reason


@settings(max_examples=30)
@given(extra=st.integers(min_value=1, max_value=500))
def test_text_over_telegrams_limit_is_refused(extra):
    with pytest.raises(InvalidSurvey) as refused:
        parse_spec(survey([{"kind": "text", "text": "x" * (MAX_QUESTION_TEXT + extra)}]))
    assert refused.value.field == "questions.0.text"


@given(kind=st.sampled_from(("rating", "text")), options=st.lists(label, min_size=1, max_size=3))
def test_rating_and_text_take_no_options(kind, options):
    with pytest.raises(InvalidSurvey):
        parse_spec(survey([{"kind": kind, "text": "Q?", "options": options}]))


@pytest.mark.postgres
async def test_migration_0003_upgrades_and_downgrades_on_both_backends(sqlite_file, pg_database):
    for url in (sqlite_file, pg_database):
        await downgrade_async(url, "0002")
        await upgrade_async(url)


def test_scheduled_sends_wait_for_the_end_of_quiet_hours():
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    from referral.surveys.views import after_quiet_hours

    msk, window = ZoneInfo("Europe/Moscow"), (time(22, 0), time(9, 0))
    late = datetime(2026, 12, 1, 23, 30, tzinfo=msk)
    early = datetime(2026, 12, 2, 7, 0, tzinfo=msk)
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=msk)
    morning = datetime(2026, 12, 2, 9, 0, tzinfo=msk).astimezone(UTC)
    assert after_quiet_hours(late, window, msk) == morning
    assert after_quiet_hours(early, window, msk) == morning
    assert after_quiet_hours(noon, window, msk) == noon
    assert after_quiet_hours(late, None, msk) == late
