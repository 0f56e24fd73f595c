"""Onboarding services against real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect, select

from referral.companies import CompanyService
from referral.errors import DuplicateCompany, InvalidCompany, UnknownCompany, UnknownMember
from referral.links import LinkTarget
from referral.members import InvalidProfileValue, MemberService
from referral.models import Consent, Member
from referral.roles import RoleService
from tests.statements import record_statements

TELEGRAM_ID = 2**40 + 7  # beyond 32 bits on purpose


@pytest.fixture
def services(db):
    roles = RoleService(db, frozenset({999}))
    return CompanyService(db), roles, MemberService(db, roles)


async def test_duplicate_company_code_is_refused(services):
    companies, _, _ = services
    await companies.add("Acme Coffee", "acme")
    with pytest.raises(DuplicateCompany):
        await companies.add("Other", "acme")
    with pytest.raises(InvalidCompany):
        await companies.add("   ", "blank")


async def test_accepting_twice_records_one_consent(services, db):
    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    member, created = await members.accept_consent(TELEGRAM_ID, LinkTarget("acme"), "ru")
    again, created_again = await members.accept_consent(TELEGRAM_ID, LinkTarget("acme"), "ru")
    assert (created, created_again) == (True, False)
    assert again.id == member.id
    async with db() as session:
        assert len((await session.scalars(select(Consent))).all()) == 1
    identity = await members.identify(TELEGRAM_ID)
    assert identity.member is not None and identity.member.pseudonym == member.pseudonym


async def test_consent_through_unknown_company_is_refused(services):
    _, _, members = services
    with pytest.raises(UnknownCompany):
        await members.accept_consent(TELEGRAM_ID, LinkTarget("nowhere"), "ru")
    assert (await members.identify(TELEGRAM_ID)).member is None


async def test_profile_rejects_values_outside_the_choices(services):
    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    member, _ = await members.accept_consent(TELEGRAM_ID, LinkTarget("acme"), "ru")
    await members.set_profile(member.id, "age_band", "25-34")
    with pytest.raises(InvalidProfileValue):
        await members.set_profile(member.id, "age_band", "'; DROP TABLE members; --")
    report = await members.privacy(TELEGRAM_ID)
    assert report.member.age_band == "25-34"


async def test_invitee_is_linked_to_inviter(services):
    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    inviter, _ = await members.accept_consent(1, LinkTarget("acme"), "ru")
    invitee, _ = await members.accept_consent(2, LinkTarget("acme", inviter.pseudonym), "en")
    assert invitee.invited_by_id == inviter.id


async def test_forget_removes_the_telegram_id_and_withdraws_consent(services, db):
    companies, roles, members = services
    await companies.add("Acme Coffee", "acme")
    await members.accept_consent(TELEGRAM_ID, LinkTarget("acme"), "ru")
    await roles.grant("marketer", TELEGRAM_ID)
    assert await members.forget(TELEGRAM_ID) is True
    assert (await members.identify(TELEGRAM_ID)).member is None
    async with db() as session:
        member = (await session.scalars(select(Member))).one()
        consent = (await session.scalars(select(Consent))).one()
    assert member.telegram_id is None and member.erased_at is not None
    assert consent.withdrawn_at is not None
    assert not (await members.identify(TELEGRAM_ID)).roles.any
    assert await members.forget(TELEGRAM_ID) is False


async def test_forget_erases_staff_who_never_joined_from_the_survey_they_watched(services, db):
    from referral.surveys import models as survey_models
    from referral.surveys.service import SurveyService
    from referral.surveys.spec import parse_spec
    from tests.surveys.factories import QUESTIONS

    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    surveys = SurveyService(db, min_audience=0)
    spec = parse_spec({"title": "Coffee", "company": "acme", "questions": QUESTIONS})
    survey_id = await surveys.create(spec)
    await surveys.watch(survey_id, TELEGRAM_ID, 77, "en")
    assert await members.forget(TELEGRAM_ID) is True  # not a member, yet something was erased
    async with db() as session:
        survey = await session.get(survey_models.Survey, survey_id)
    assert survey is not None
    assert (survey.progress_chat_id, survey.progress_message_id) == (None, None)
    assert await surveys.watched() == []
    assert await members.forget(TELEGRAM_ID) is False


async def test_roles(services):
    companies, roles, members = services
    await companies.add("Acme Coffee", "acme")
    assert await roles.grant("partner", 5, "acme") is True
    assert await roles.grant("partner", 5, "acme") is False
    identity = await members.identify(5)
    assert identity.roles.has("partner") and not identity.roles.has("marketer")
    assert (await members.identify(999)).roles.has("admin")


async def test_a_burst_of_acceptances_shares_transactions_and_keeps_each_answer(services, db):
    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    inviter, _ = await members.accept_consent(1, LinkTarget("acme"), "ru")
    burst = [
        (2, LinkTarget("acme")),
        (3, LinkTarget("acme", inviter.pseudonym)),
        (2, LinkTarget("acme")),  # the same press delivered twice in one burst
        (4, LinkTarget("nowhere")),
        (1, LinkTarget("acme")),  # already a member with a current consent
    ]
    results = await asyncio.gather(
        *(members.accept_consent(tid, target, "en") for tid, target in burst),
        return_exceptions=True,
    )
    assert [r[1] if isinstance(r, tuple) else type(r) for r in results] == [
        True,
        True,
        False,
        UnknownCompany,
        False,
    ]
    assert results[0][0].id == results[2][0].id
    assert results[1][0].invited_by_id == inviter.id
    async with db() as session:
        consents = (await session.scalars(select(Consent))).all()
        assert sorted(c.member_id for c in consents) == sorted(
            [inviter.id, results[0][0].id, results[1][0].id]
        )
        assert await session.scalar(select(Member).where(Member.telegram_id == 4)) is None


async def test_a_burst_of_new_members_takes_a_few_statements_not_two_per_member(services, db):
    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    statements = record_statements(db)
    ids = [TELEGRAM_ID + i for i in range(40)]
    results = await asyncio.gather(
        *(members.accept_consent(tid, LinkTarget("acme"), "ru") for tid in ids)
    )
    assert all(created for _, created in results)
    # Each comes back whole, as a member loaded from its row would.
    assert all(inspect(m).detached and m.created_at and m.region is None for m, _ in results)
    # 40 acceptances arriving together share a transaction or two.
    assert len(statements) < 20
    async with db() as session:
        rows = (
            await session.execute(
                select(Member.telegram_id, Member.id).join(Consent, Consent.member_id == Member.id)
            )
        ).all()
    # Every member was handed its own row's id, and its consent points at that row.
    assert sorted(rows) == sorted((m.telegram_id, m.id) for m, _ in results)
    assert sorted(tid for tid, _ in rows) == ids


async def test_a_company_added_by_another_process_is_found(services, db):
    companies, _, _ = services
    with pytest.raises(UnknownCompany):
        await companies.get("beans")
    await CompanyService(db).add("Beans", "beans")  # as the CLI would, beside the bot
    assert (await companies.get("beans")).name == "Beans"
    assert (await companies.get("beans")).name == "Beans"  # now from the cache


async def test_an_operator_finds_a_live_member_by_telegram_id_or_pseudonym(services):
    companies, _, members = services
    await companies.add("Acme Coffee", "acme")
    member, _ = await members.accept_consent(TELEGRAM_ID, LinkTarget("acme"), "ru")
    assert (await members.find(str(TELEGRAM_ID))).id == member.id
    assert (await members.find(member.pseudonym.upper())).id == member.id
    for unknown in ("ghost", "12345", ""):
        with pytest.raises(UnknownMember, match="no member"):
            await members.find(unknown)
    await members.forget(TELEGRAM_ID)
    with pytest.raises(UnknownMember):  # erased: neither the id nor the pseudonym finds them
        await members.find(member.pseudonym)
