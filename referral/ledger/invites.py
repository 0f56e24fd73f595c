"""Invites: the personal link's reward, decided at the invitee's first purchase.

An invite completes when the invitee (who consented through the inviter's
link) makes a first purchase at a partner; the reward, funded by that
partner's deposit per its rules, then waits out the return window and is
posted only if the purchase is not reversed. The inviter is rewarded once per
invitee (one invites row per invitee, and the transfer key names the invitee).
Refused: self-invites, cycles (the invitee is up the inviter's chain, by member
or by phone), a phone already rewarded, a missing phone check when the company
requires one, and an inviter over the daily or total cap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.errors import DomainError
from referral.ledger.activity_models import Invite, MemberPhone, Purchase
from referral.ledger.bookkeeping_models import Transfer
from referral.ledger.rules import RuleSet
from referral.models import Member

_ACTIVE = ("awarded",)


class PhoneRefused(DomainError):
    """A shared contact that is not the sender's own."""


@dataclass(frozen=True)
class InviteStats:
    completed: int  # rewards posted
    waiting: int  # rewards waiting out the return window


def phone_hash(key: bytes, phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]  # 8 926 ... and +7 926 ... are one Russian number
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


async def qualify_invite(
    session: AsyncSession,
    ledger,
    purchase: Purchase,
    rules: RuleSet,  # type: ignore[no-untyped-def]
    until: datetime,
) -> Invite | None:
    invitee = await session.get_one(Member, purchase.member_id)
    if (
        invitee.invited_by_id is None
        or await session.scalar(select(Invite.id).where(Invite.invitee_id == invitee.id))
        is not None
    ):
        return None
    invite = Invite(
        inviter_id=invitee.invited_by_id,
        invitee_id=invitee.id,
        company_id=purchase.company_id,
        purchase_id=purchase.id,
        status="awarded",
        created_at=purchase.purchased_at,
        phone_hash=await session.scalar(
            select(MemberPhone.phone_hash).where(MemberPhone.member_id == invitee.id)
        ),
    )
    invite.reason = await _refusal(session, invite, rules, purchase.purchased_at)
    if not invite.reason and rules.invite_points <= 0:
        invite.reason = "no_reward_rule"
    if invite.reason:
        invite.status = "refused"
    session.add(invite)
    await session.flush()
    if invite.status == "awarded":
        made_id, _ = await ledger.award_in(
            session,
            invite.inviter_id,
            purchase.company_id,
            rules.invite_points,
            "invite",
            f"invite:{invitee.id}",
            kind="invite",
            pending_until=until,
            purchase_id=purchase.id,
        )
        invite.transfer_id = made_id
    return invite


async def _refusal(session: AsyncSession, invite: Invite, rules: RuleSet, at: datetime) -> str:
    chain_ids, chain_phones = [], set()
    current: int | None = invite.inviter_id
    while current is not None and len(chain_ids) < 100:
        chain_ids.append(current)
        row = (
            await session.execute(
                select(Member.invited_by_id, Member.erased_at, MemberPhone.phone_hash)
                .outerjoin(MemberPhone, MemberPhone.member_id == Member.id)
                .where(Member.id == current)
            )
        ).one()
        if row.phone_hash:
            chain_phones.add(row.phone_hash)
        if current == invite.inviter_id and row.erased_at is not None:
            return "inviter_erased"
        current = row.invited_by_id
    if invite.inviter_id == invite.invitee_id:
        return "self_invite"
    if invite.invitee_id in chain_ids:
        return "cycle"
    if invite.phone_hash and invite.phone_hash in chain_phones:
        return (
            "self_invite"
            if invite.phone_hash == await _phone(session, invite.inviter_id)
            else "cycle"
        )
    if rules.require_phone and not invite.phone_hash:
        return "no_phone"
    counted = select(func.count(Invite.id)).where(
        Invite.inviter_id == invite.inviter_id, Invite.status.in_(_ACTIVE)
    )
    if invite.phone_hash and await session.scalar(
        select(func.count(Invite.id)).where(
            Invite.phone_hash == invite.phone_hash, Invite.status.in_(_ACTIVE)
        )
    ):
        return "phone_used"
    if (await session.scalar(counted) or 0) >= rules.invite_total_cap:
        return "total_cap"
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if (
        await session.scalar(
            counted.where(Invite.created_at >= day, Invite.created_at < day + timedelta(days=1))
        )
        or 0
    ) >= rules.invite_daily_cap:
        return "daily_cap"
    return ""


async def _phone(session: AsyncSession, member_id: int) -> str | None:
    return await session.scalar(
        select(MemberPhone.phone_hash).where(MemberPhone.member_id == member_id)
    )


class InviteService:
    def __init__(self, db: async_sessionmaker[AsyncSession], phone_key: bytes) -> None:
        self.db = db
        self.phone_key = phone_key

    async def stats(self, member_id: int) -> InviteStats:
        async with self.db() as session:
            rows = dict(
                (
                    await session.execute(
                        select(Transfer.status, func.count(Invite.id))
                        .join(Transfer, Invite.transfer_id == Transfer.id)
                        .where(Invite.inviter_id == member_id)
                        .group_by(Transfer.status)
                    )
                ).all()
            )
        return InviteStats(rows.get("posted", 0), rows.get("pending", 0))

    async def check_phone(
        self, member_id: int, sender_id: int, contact_user_id: int | None, phone: str, now: datetime
    ) -> None:
        """Keep a keyed hash of the member's own number (never the number)."""
        if contact_user_id != sender_id:
            raise PhoneRefused("share your own contact with the button")
        digest = phone_hash(self.phone_key, phone)
        async with self.db.begin() as session:
            row = await session.get(MemberPhone, member_id)
            if row is None:
                session.add(MemberPhone(member_id=member_id, phone_hash=digest, checked_at=now))
            else:
                row.phone_hash, row.checked_at = digest, now
