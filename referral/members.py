"""Members: consent, the anonymous profile, reachability, erasure."""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached

from referral.consent import CONSENT_VERSION, active_consent, consenting_member
from referral.erasure import erase_telegram_id
from referral.errors import DomainError, NotAMember, UnknownCompany, UnknownMember
from referral.group_commit import GroupCommitter
from referral.leads.threads import end_threads
from referral.links import LinkTarget
from referral.models import Company, Consent, Member
from referral.roles import Roles, RoleService

PROFILE_CHOICES: dict[str, tuple[str, ...]] = {
    "age_band": ("18-24", "25-34", "35-44", "45-54", "55+"),
    "income_band": ("low", "middle", "high"),
    "region": (
        "central",
        "northwest",
        "south",
        "caucasus",
        "volga",
        "ural",
        "siberia",
        "fareast",
    ),
}
PROFILE_FIELDS = tuple(PROFILE_CHOICES)
_member_table = Member.__table__
_consent_table = Consent.__table__


def new_pseudonym() -> str:
    """Ten base32 characters (50 random bits): stable, meaningless, unguessable."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]


@dataclass(frozen=True)
class Identity:
    """Who sent an update: a consenting member (or None) and staff roles."""

    telegram_id: int
    member: Member | None
    roles: Roles


@dataclass(frozen=True)
class _Acceptance:
    telegram_id: int
    target: LinkTarget
    language: str
    version: str


@dataclass(frozen=True)
class PrivacyReport:
    member: Member | None
    company: Company | None
    consent: Consent | None


class InvalidProfileValue(DomainError):
    pass


class MemberService:
    def __init__(self, db: async_sessionmaker[AsyncSession], roles: RoleService) -> None:
        self.db = db
        self.roles = roles
        self._acceptances = GroupCommitter(self._accept_all)

    async def identify(self, telegram_id: int) -> Identity:
        async with self.db() as session:
            member = await _consenting_member(session, telegram_id)
            roles = await self.roles.of(session, telegram_id)
        return Identity(telegram_id, member, roles)

    async def accept_consent(
        self, telegram_id: int, target: LinkTarget, language: str, version: str = CONSENT_VERSION
    ) -> tuple[Member, bool]:
        """Record consent and create the member; (member, created).

        Pressing Accept twice is harmless: a member whose consent is current
        gets no second consent row. Acceptances that arrive together share
        one transaction (group commit).
        """
        try:
            return await self._acceptances.submit(
                _Acceptance(telegram_id, target, language, version)
            )
        except IntegrityError:
            # Another process created the member first.
            async with self.db() as session:
                member = await session.scalar(
                    select(Member).where(Member.telegram_id == telegram_id)
                )
            if member is None:
                raise
            return member, False

    async def _accept_all(
        self, batch: Sequence[_Acceptance]
    ) -> list[tuple[Member, bool] | Exception]:
        now = datetime.now(UTC)
        async with self.db.begin() as session:
            companies = await _by_codes(session, {a.target.company_code for a in batch})
            members = await _by_telegram_ids(session, {a.telegram_id for a in batch})
            consents = await _consents_by_telegram_id(session, members)
            inviters = await _live_ids_by_pseudonym(
                session, {a.target.inviter for a in batch if a.target.inviter}
            )
            results: list[tuple[Member, bool] | Exception] = []
            created: dict[str, Member] = {}
            planned: list[tuple[Member, Consent]] = []
            for acceptance in batch:
                company = companies.get(acceptance.target.company_code)
                if company is None:
                    results.append(
                        UnknownCompany(f"no company with code {acceptance.target.company_code!r}")
                    )
                    continue
                member = members.get(acceptance.telegram_id)
                if member is None:
                    member = Member(
                        pseudonym=new_pseudonym(),
                        telegram_id=acceptance.telegram_id,
                        company_id=company.id,
                        invited_by_id=inviters.get(acceptance.target.inviter or ""),
                        language=acceptance.language,
                    )
                    created[member.pseudonym] = member
                    members[acceptance.telegram_id] = member
                elif active_consent(consents[acceptance.telegram_id], acceptance.version):
                    results.append((member, False))  # the same press, delivered again
                    continue
                member.reachable = True
                consent = Consent(
                    company_id=company.id, version=acceptance.version, accepted_at=now
                )
                consents[acceptance.telegram_id].append(consent)
                planned.append((member, consent))
                results.append((member, True))
            # Core inserts, one statement each for the whole batch: the ORM's
            # unit of work needs each new row's id back in order, and on SQLite
            # it gets that by inserting one row per statement.
            if created:
                await _insert_members(session, created)
            if planned:
                await session.execute(
                    insert(_consent_table),
                    [
                        {
                            "member_id": member.id,
                            "company_id": consent.company_id,
                            "version": consent.version,
                            "accepted_at": consent.accepted_at,
                        }
                        for member, consent in planned
                    ],
                )
        return results

    async def set_profile(self, member_id: int, field: str, value: str | None) -> None:
        """Set one optional profile field; None means the member skipped it."""
        if field not in PROFILE_CHOICES:
            raise InvalidProfileValue(f"unknown profile field {field!r}")
        if value is not None and value not in PROFILE_CHOICES[field]:
            raise InvalidProfileValue(f"{value!r} is not a choice for {field}")
        async with self.db.begin() as session:
            await session.execute(
                update(Member)
                .where(Member.id == member_id, Member.erased_at.is_(None))
                .values({field: value})
            )

    async def set_language(self, telegram_id: int, language: str) -> None:
        async with self.db.begin() as session:
            await session.execute(
                update(Member).where(Member.telegram_id == telegram_id).values(language=language)
            )

    async def set_reachable(self, telegram_id: int, reachable: bool) -> bool:
        """Mark a member as (un)reachable; False when we know no such member."""
        async with self.db.begin() as session:
            result = await session.execute(
                update(Member).where(Member.telegram_id == telegram_id).values(reachable=reachable)
            )
        return bool(result.rowcount)

    async def privacy(self, telegram_id: int) -> PrivacyReport:
        async with self.db() as session:
            member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
            if member is None:
                return PrivacyReport(None, None, None)
            consent = active_consent(await _consents(session, member.id))
            company = await session.get(Company, member.company_id)
        return PrivacyReport(member, company, consent)

    async def forget(self, telegram_id: int) -> bool:
        """Withdraw consent and erase the person; False when nothing was stored.

        The member row stays, under its pseudonym and without any personal
        field, because ledger postings refer to it; the Telegram id is gone
        from every table (referral/erasure.py lists the others).
        """
        now = datetime.now(UTC)
        async with self.db.begin() as session:
            member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
            erased_elsewhere = await erase_telegram_id(session, telegram_id)
            await end_threads(session, member.id if member else None, now)
            if member is None:
                return bool(erased_elsewhere)
            await session.execute(
                update(Consent)
                .where(Consent.member_id == member.id, Consent.withdrawn_at.is_(None))
                .values(withdrawn_at=now)
            )
            member.telegram_id = None
            member.language = None
            member.age_band = member.income_band = member.region = None
            member.reachable = False
            member.erased_at = now
        return True

    async def find(self, reference: str) -> Member:
        """A live (not erased) member by Telegram id or pseudonym, for operators."""
        named = Member.pseudonym == reference.lower()
        if reference.isdigit():
            named = or_(named, Member.telegram_id == int(reference))
        async with self.db() as session:
            member = await session.scalar(select(Member).where(named, Member.erased_at.is_(None)))
        if member is None:
            raise UnknownMember(reference)
        return member

    async def require(self, telegram_id: int) -> Member:
        async with self.db() as session:
            member = await _consenting_member(session, telegram_id)
        if member is None:
            raise NotAMember()
        return member


async def _insert_members(session: AsyncSession, new: dict[str, Member]) -> None:
    """Insert the new members in one statement; each learns its id, matched by
    pseudonym, and comes back whole, as a detached member loaded from the table."""
    rows = await session.execute(
        insert(_member_table).returning(
            _member_table.c.id, _member_table.c.pseudonym, _member_table.c.created_at
        ),
        [
            {
                "pseudonym": member.pseudonym,
                "telegram_id": member.telegram_id,
                "company_id": member.company_id,
                "invited_by_id": member.invited_by_id,
                "language": member.language,
                "reachable": member.reachable,
            }
            for member in new.values()
        ],
    )
    for member_id, pseudonym, created_at in rows:
        member = new[pseudonym]
        member.id, member.created_at = member_id, created_at
        member.age_band = member.income_band = member.region = member.erased_at = None
        # As if loaded by a query: a later session.add() updates it, not inserts it again.
        make_transient_to_detached(member)


async def _by_codes(session: AsyncSession, codes: set[str]) -> dict[str, Company]:
    found = await session.scalars(select(Company).where(Company.code.in_(codes)))
    return {company.code: company for company in found}


async def _by_telegram_ids(session: AsyncSession, telegram_ids: set[int]) -> dict[int, Member]:
    found = await session.scalars(select(Member).where(Member.telegram_id.in_(telegram_ids)))
    return {member.telegram_id: member for member in found if member.telegram_id is not None}


async def _consents_by_telegram_id(
    session: AsyncSession, members: dict[int, Member]
) -> defaultdict[int, list[Consent]]:
    by_telegram_id: defaultdict[int, list[Consent]] = defaultdict(list)
    if members:
        telegram_id_of = {member.id: tid for tid, member in members.items()}
        found = await session.scalars(select(Consent).where(Consent.member_id.in_(telegram_id_of)))
        for consent in found:
            by_telegram_id[telegram_id_of[consent.member_id]].append(consent)
    return by_telegram_id


async def _live_ids_by_pseudonym(session: AsyncSession, pseudonyms: set[str]) -> dict[str, int]:
    if not pseudonyms:
        return {}
    rows = await session.execute(
        select(Member.pseudonym, Member.id).where(
            Member.pseudonym.in_(pseudonyms), Member.erased_at.is_(None)
        )
    )
    return {pseudonym: member_id for pseudonym, member_id in rows.all()}


async def _consents(session: AsyncSession, member_id: int) -> list[Consent]:
    return list(
        (await session.scalars(select(Consent).where(Consent.member_id == member_id))).all()
    )


async def _consenting_member(session: AsyncSession, telegram_id: int) -> Member | None:
    return await session.scalar(consenting_member(telegram_id))
