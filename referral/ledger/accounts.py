"""Ledger accounts: their kinds, their codes, and their ids, created on first use.

``kind`` is member (a member's wallet at one company), deposit (the partner's
prepaid liability deposit), redeemed and expired (where a company's spent and
lapsed points end), or funding (the operator's side of every deposit top-up:
the only account allowed below zero).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from referral.ledger import session_hooks  # noqa: F401  (the cache below relies on them)
from referral.ledger.account_cache import known_accounts, note_seen
from referral.ledger.bookkeeping_models import POINTS, Account
from referral.ledger.errors import InvalidAmount

FUNDING, DEPOSIT, REDEEMED, EXPIRED, MEMBER = "funding", "deposit", "redeemed", "expired", "member"

ACCOUNTS = Account.__table__


@dataclass(frozen=True)
class AccountInfo:
    """What never changes about an account."""

    kind: str
    currency: str
    company_id: int | None

    @property
    def has_lots(self) -> bool:
        return self.kind == MEMBER and self.currency == POINTS


def account_code(kind: str, currency: str, company_id: int | None, member_id: int | None) -> str:
    if kind == MEMBER:
        return f"m{member_id}:c{company_id}:{currency}"
    if kind == FUNDING:
        return f"funding:{currency}"
    return f"c{company_id}:{kind}:{currency}"


def upsert(conn: AsyncConnection, table):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has ON CONFLICT on both backends."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


async def account(
    session: AsyncSession,
    kind: str,
    currency: str,
    company_id: int | None = None,
    member_id: int | None = None,
) -> int:
    """The id of an account, created on first use (concurrent first uses agree)."""
    conn = await session.connection()
    known = known_accounts(conn)
    code = account_code(kind, currency, company_id, member_id)
    found = known.ids.get(code)
    if found is not None:
        return found
    by_code = select(ACCOUNTS.c.id).where(ACCOUNTS.c.code == code)
    found = await conn.scalar(by_code)
    if found is None:
        await conn.execute(
            upsert(conn, ACCOUNTS)
            .values(
                code=code,
                kind=kind,
                currency=currency,
                company_id=company_id,
                member_id=member_id,
                posted=0,
                pending_out=0,
                pending_in=0,
            )
            .on_conflict_do_nothing(index_elements=["code"])
        )
        found = await conn.scalar(by_code)
    assert found is not None
    note_seen(session, known, found, AccountInfo(kind, currency, company_id), code)
    return found


async def account_infos(
    session: AsyncSession, conn: AsyncConnection, *ids: int
) -> dict[int, AccountInfo]:
    """What never changes about each of ``ids``; InvalidAmount names a missing one."""
    known = known_accounts(conn)
    infos = {i: known.info[i] for i in ids if i in known.info}
    missing = [i for i in ids if i not in infos]
    if missing:
        for row in await conn.execute(
            select(
                ACCOUNTS.c.id, ACCOUNTS.c.kind, ACCOUNTS.c.currency, ACCOUNTS.c.company_id
            ).where(ACCOUNTS.c.id.in_(missing))
        ):
            infos[row.id] = AccountInfo(row.kind, row.currency, row.company_id)
            note_seen(session, known, row.id, infos[row.id], None)
    if len(infos) != len(set(ids)):
        raise InvalidAmount(f"no ledger account {sorted(set(ids) - infos.keys())}")
    return infos


def lock_order(infos: dict[int, AccountInfo]) -> list[int]:
    """Member wallets first, then the shared system accounts, each by id."""
    return sorted(infos, key=lambda i: (infos[i].kind != MEMBER, i))
