"""What the ledger remembers about its accounts between transactions.

Account ids and kinds never change once created, so they are remembered per
engine, but only after the transaction that saw them commits: a rolled back
account's id may be reused by SQLite. A transaction notes what it saw on its
session; referral.ledger.session_hooks keeps or drops the notes when the
session commits or rolls back.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from referral.ledger.accounts import AccountInfo


@dataclass
class KnownAccounts:
    """Committed accounts of one engine: ids by code, and infos by id."""

    ids: dict[str, int] = field(default_factory=dict)
    info: dict[int, AccountInfo] = field(default_factory=dict)


_KNOWN_PER_ENGINE: weakref.WeakKeyDictionary[Engine, KnownAccounts] = weakref.WeakKeyDictionary()
_SEEN_IN_SESSION = "refbot.ledger.accounts_seen"


def known_accounts(conn: AsyncConnection) -> KnownAccounts:
    known = _KNOWN_PER_ENGINE.get(conn.sync_engine)
    if known is None:
        known = _KNOWN_PER_ENGINE[conn.sync_engine] = KnownAccounts()
    return known


def note_seen(
    session: AsyncSession,
    known: KnownAccounts,
    account_id: int,
    info: AccountInfo,
    code: str | None,
) -> None:
    """Remember the account once this session's transaction commits."""
    session.sync_session.info.setdefault(_SEEN_IN_SESSION, []).append(
        (known, account_id, info, code)
    )


def keep_seen(session: Session) -> None:
    for known, account_id, info, code in session.info.pop(_SEEN_IN_SESSION, ()):
        known.info[account_id] = info
        if code is not None:
            known.ids[code] = account_id


def drop_seen(session: Session) -> None:
    session.info.pop(_SEEN_IN_SESSION, None)
