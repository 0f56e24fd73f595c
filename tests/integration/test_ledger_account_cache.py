"""The ledger's account cache (referral/ledger/account_cache.py), fed by the
process-wide Session hooks (referral/ledger/session_hooks.py): an account is
remembered once the transaction that made it commits, never from a rollback."""

from __future__ import annotations

import pytest

from referral.companies import CompanyService
from referral.db import create_engine, create_sessionmaker
from referral.ledger.account_cache import known_accounts
from referral.ledger.accounts import DEPOSIT, REDEEMED, account, account_code
from referral.ledger.bookkeeping_models import POINTS


class Refused(Exception):
    pass


async def test_an_account_is_remembered_after_commit_and_forgotten_after_rollback(sqlite_file):
    engine = create_engine(sqlite_file)
    db = create_sessionmaker(engine)
    try:
        company = await CompanyService(db).add("Acme", "acme")
        with pytest.raises(Refused):
            async with db.begin() as session:
                await account(session, REDEEMED, POINTS, company.id)
                raise Refused
        async with db.begin() as session:
            made = await account(session, DEPOSIT, POINTS, company.id)
            known = known_accounts(await session.connection())
            assert account_code(DEPOSIT, POINTS, company.id, None) not in known.ids, (
                "referral/ledger/session_hooks.py: an account was cached before its commit"
            )
        assert known.ids.get(account_code(DEPOSIT, POINTS, company.id, None)) == made, (
            "referral/ledger/session_hooks.py: after_commit no longer feeds the account cache"
        )
        assert account_code(REDEEMED, POINTS, company.id, None) not in known.ids, (
            "referral/ledger/session_hooks.py: a rolled back account stayed in the cache"
        )
    finally:
        await engine.dispose()


async def test_an_account_of_a_rolled_back_savepoint_is_not_remembered(sqlite_file):
    engine = create_engine(sqlite_file)
    db = create_sessionmaker(engine)
    try:
        company = await CompanyService(db).add("Acme", "acme")
        async with db.begin() as session:
            with pytest.raises(Refused):
                async with session.begin_nested():
                    await account(session, REDEEMED, POINTS, company.id)
                    raise Refused
            known = known_accounts(await session.connection())
        # SQLite may hand the rolled back id to the next account: remembering it would
        # point the ledger at a row that is not the one it names.
        assert account_code(REDEEMED, POINTS, company.id, None) not in known.ids, (
            "referral/ledger/session_hooks.py: after_soft_rollback no longer drops what a "
            "rolled back savepoint saw"
        )
    finally:
        await engine.dispose()
