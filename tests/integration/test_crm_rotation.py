"""CRM_SECRET rotation: every stored CRM secret sealed again under the new key in one
transaction, the old key opening them meanwhile; on a real SQLite file and on
PostgreSQL (the ``db`` fixture runs each test on both)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from refbot.settings import Settings
from referral.companies import CompanyService
from referral.crm.connections import CrmConnections, amocrm_settings, bitrix24_settings
from referral.crm.models import CrmConnection
from referral.crm.vault import SettingsVault, WrongCrmKey, fernet_key, new_key, sealed_under
from referral.ledger.ledger import Ledger
from referral.ledger.services import build_loyalty

CATALOG = "code,name,category,price\nlatte,Latte,coffee,250\n"
HOOK = "https://acme.bitrix24.ru/rest/1/k3yS3cr3tOfThePortal/"
APP_TOKEN = "appTok3nS3cr3t0123456789"
AMO_TOKEN = "amoT0kenS3cr3t-long-lived"
OLD, NEW = fernet_key("the old crm secret"), fernet_key("the new crm secret")


async def connect_partner(db, vault: SettingsVault, code: str = "acme") -> CrmConnections:
    """A partner with both CRMs connected, their secrets sealed by ``vault``."""
    await CompanyService(db).add(code.title(), code)
    await build_loyalty(db, Ledger(db), b"k" * 32).catalog.import_csv(code, CATALOG)
    crm = CrmConnections(db, vault)
    await crm.connect(
        code, "bitrix24", bitrix24_settings(HOOK, APP_TOKEN, "UF_CRM_REFBOT", "latte")
    )
    await crm.connect(code, "amocrm", amocrm_settings(code, AMO_TOKEN, 5, "latte"))
    return crm


async def stored(db) -> list[str]:
    async with db() as session:
        return list(
            await session.scalars(select(CrmConnection.settings).order_by(CrmConnection.id))
        )


async def opened(crm: CrmConnections) -> dict[str, dict]:
    return {c.kind: c.settings for c in await crm.all()}


async def test_every_secret_is_sealed_again_under_the_new_key_the_old_one_opening_meanwhile(db):
    original = await opened(await connect_partner(db, SettingsVault(OLD)))
    rotating = CrmConnections(db, SettingsVault(lambda: [NEW, OLD]))
    assert await opened(rotating) == original  # the old key still opens, before and during

    assert await rotating.reseal() == 2

    rows = await stored(db)
    assert all(sealed_under(row, NEW) and not sealed_under(row, OLD) for row in rows)
    assert not any(secret in row for row in rows for secret in ("k3yS3cr3t", APP_TOKEN, AMO_TOKEN))
    assert await opened(CrmConnections(db, SettingsVault(NEW))) == original
    with pytest.raises(WrongCrmKey):
        await CrmConnections(db, SettingsVault(OLD)).all()
    assert await rotating.not_sealed_under(NEW) == []


async def test_a_secret_no_key_opens_stops_the_rotation_and_changes_nothing(db):
    await connect_partner(db, SettingsVault(OLD))
    await connect_partner(db, SettingsVault(fernet_key("a key nobody has now")), "beta")
    before = await stored(db)
    rotating = CrmConnections(db, SettingsVault(lambda: [NEW, OLD]))
    with pytest.raises(WrongCrmKey):
        await rotating.reseal()  # acme's two rows came first: they are rolled back too
    assert await stored(db) == before
    assert len(await rotating.not_sealed_under(NEW)) == 4


async def test_a_process_running_through_a_rotation_learns_the_new_key(db, tmp_path: Path):
    running = Settings(_env_file=None, data_dir=tmp_path)  # its key in DATA_DIR/crm_secret
    crm = await connect_partner(db, SettingsVault(running.crm_keys))
    original = await opened(crm)
    # `refbot crm rotate-secret` in another process on the same DATA_DIR:
    operator = Settings(_env_file=None, data_dir=tmp_path)
    old_keys = operator.crm_keys()
    fresh = new_key()
    operator.write_crm_keys([fresh, *old_keys])
    assert await CrmConnections(db, SettingsVault(operator.crm_keys)).reseal() == 2
    operator.write_crm_keys([fresh])

    assert running.crm_keys() == [fresh]
    assert await opened(crm) == original  # it read the ring again, once
    assert all(sealed_under(row, fresh) for row in await stored(db))
    assert (tmp_path / "crm_secret").stat().st_mode & 0o777 == 0o600
