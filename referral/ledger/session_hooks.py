"""Process-wide SQLAlchemy Session hooks that feed the account cache.

They listen on the Session class itself (every session of the process), so
the ledger needs no session subclass or factory of its own: a service's plain
``async_sessionmaker`` works. Imported by referral.ledger.accounts, which
relies on them.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from referral.ledger.account_cache import drop_seen, keep_seen


@event.listens_for(Session, "after_commit")
def _remember_committed_accounts(session: Session) -> None:
    keep_seen(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_accounts(session: Session, _previous: object) -> None:
    drop_seen(session)  # any rollback, savepoints too: remember nothing from it
