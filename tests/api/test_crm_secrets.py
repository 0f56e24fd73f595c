"""The partners' CRM secrets: sealed at rest, readable only with the CRM key,
never in a log line, whatever connect, intake, push or reconcile go through."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from migrations.runner import downgrade_async, upgrade_async
from refbot.services import build_services
from referral.crm.connections import amocrm_settings, bitrix24_settings
from referral.crm.reconcile import reconcile
from referral.crm.vault import SettingsVault, WrongCrmKey, fernet_key
from referral.db import create_engine
from tests.api import crm_world
from tests.api.conftest import api_settings
from tests.api.crm_fixtures import (
    amocrm_lead,
    amocrm_status_change,
    bitrix24_deal,
    bitrix24_deal_update,
)
from tests.api.crm_world import AMO_FIELD, Delivered, post, settled

# The fixtures, named here so pytest finds them for this module.
api, delivered = crm_world.api, crm_world.delivered

HOOK_KEY = "k3yS3cr3tOfThePortal"
APP_TOKEN = "appTok3nS3cr3t0123456789"
AMO_TOKEN = "amoT0kenS3cr3t-long-lived"


async def reconnect(world: Delivered) -> tuple[str, str]:
    """Both CRMs connected again with secrets that are easy to look for."""
    services, stub = world.api.services, world.stub
    stub.token = AMO_TOKEN
    partner = {c.id: c.code for c in await services.companies.all()}[world.company_id]
    service = (await services.crm.list(partner))[0].settings["service"]
    bitrix = await services.crm.connect(
        partner,
        "bitrix24",
        bitrix24_settings(f"{stub.url}/rest/1/{HOOK_KEY}/", APP_TOKEN, "UF_CRM_REFBOT", service),
    )
    amo = await services.crm.connect(
        partner,
        "amocrm",
        amocrm_settings("acmecoffee", AMO_TOKEN, AMO_FIELD, service, api_base=stub.url),
    )
    return bitrix, amo


async def stored_settings(world: Delivered) -> list[str]:
    async with world.api.services.db() as session:
        return list(await session.scalars(text("SELECT settings FROM crm_connections")))


async def test_secrets_are_sealed_at_rest_and_open_only_with_the_key(delivered: Delivered):
    await reconnect(delivered)
    stored = await stored_settings(delivered)
    assert len(stored) == 2
    for row in stored:
        for secret in (HOOK_KEY, APP_TOKEN, AMO_TOKEN):
            assert secret not in row
        assert '"service"' in row  # what `crm list` shows stays readable
    opened = {c.kind: c.settings for c in await delivered.api.services.crm.all()}
    assert HOOK_KEY in opened["bitrix24"]["portal_webhook"]
    assert opened["bitrix24"]["application_token"] == APP_TOKEN
    assert opened["amocrm"]["token"] == AMO_TOKEN
    with pytest.raises(WrongCrmKey):
        SettingsVault(fernet_key("another key")).open(stored[0])


async def test_no_secret_reaches_a_log_line(delivered: Delivered, caplog):
    caplog.set_level(logging.DEBUG)
    bitrix_url, amo_url = await reconnect(delivered)
    http, stub = delivered.api.http, delivered.stub
    # Intake of both CRMs, the CRM failing and rate-limiting on the way.
    stub.deals["910"] = bitrix24_deal("910", "P", "100.00", delivered.member)
    stub.limited = 1
    await post(http, bitrix_url, bitrix24_deal_update("910", APP_TOKEN))
    stub.deals["5010"] = amocrm_lead("5010", 31522160, 100, delivered.member, AMO_FIELD)
    await post(http, amo_url, amocrm_status_change("5010", 31522160))
    await settled(delivered)
    stub.down = 2
    await post(http, bitrix_url, bitrix24_deal_update("910", APP_TOKEN, ts="5"))
    await settled(delivered)
    # A forged call, the push (failing once) and the reconcile.
    await http.post(
        bitrix_url, content=bitrix24_deal_update("910", "0" * 24), headers=crm_world.FORM
    )
    stub.down = 1
    await delivered.api.services.crm_pushes.run()
    await reconcile(delivered.api.services.crm_inbound)
    # Leave out what the CRM's side logs: the stub's access log, the test client's requests.
    ours = [
        r
        for r in caplog.records
        if r.name != "aiohttp.access" and "http://api.test/" not in r.getMessage()
    ]
    assert any(r.name.startswith(("referral.crm", "httpx")) for r in ours)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in ours)
    for secret in (HOOK_KEY, APP_TOKEN, AMO_TOKEN, bitrix_url.rsplit("_", 1)[1]):
        assert secret not in logged


async def test_the_migration_seals_rows_stored_plain_before_it(
    sqlite_file: str, tmp_path, monkeypatch
):
    """0017 downgraded writes the rows plain again, as 0014-0016 did; upgraded, seals them."""
    monkeypatch.setenv("CRM_SECRET", "the operator's crm secret")
    services = build_services(
        api_settings(sqlite_file, tmp_path, crm_secret="the operator's crm secret")
    )
    try:
        await services.companies.add("Acme Coffee", "acme")
        await services.loyalty.catalog.import_csv(
            "acme", "code,name,category,price\nlatte,Latte,coffee,250\n"
        )
        hook = f"https://acme.bitrix24.ru/rest/1/{HOOK_KEY}/"
        await services.crm.connect(
            "acme", "bitrix24", bitrix24_settings(hook, APP_TOKEN, "UF_CRM_REFBOT", "latte")
        )
    finally:
        await services.close()

    async def stored() -> str:
        engine = create_engine(sqlite_file)
        try:
            async with engine.connect() as connection:
                return (
                    await connection.execute(text("SELECT settings FROM crm_connections"))
                ).scalar_one()
        finally:
            await engine.dispose()

    assert HOOK_KEY not in await stored()
    await downgrade_async(sqlite_file, "0016")
    plain = await stored()
    assert HOOK_KEY in plain and APP_TOKEN in plain
    await upgrade_async(sqlite_file)
    sealed = await stored()
    assert HOOK_KEY not in sealed and APP_TOKEN not in sealed
    opened = SettingsVault(fernet_key("the operator's crm secret")).open(sealed)
    assert (opened["portal_webhook"], opened["application_token"]) == (hook, APP_TOKEN)
