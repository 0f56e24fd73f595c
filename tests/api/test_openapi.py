"""The OpenAPI document is generated from the models, and the running server
keeps to it: schemathesis sends valid and invalid requests to every route
registered (later ones too) over real HTTP; none may get a 500, and every
response must match what the document declares."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from migrations.runner import upgrade
from referral.links import LinkTarget
from tests.api.conftest import api_settings
from tests.api.live import live_api, migrated_sqlite
from tests.services import create_pg_database, drop_pg_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # per route and mode: enough to reach every field, well under a minute


async def _seed(services) -> dict:
    await services.companies.add("Acme Coffee", "acme")
    await services.loyalty.catalog.import_csv(
        "acme", "code,name,category,price\nlatte,Latte,coffee,250\n"
    )
    await services.members.accept_consent(7, LinkTarget("acme"), "ru")
    _, key = await services.apikeys.create("acme", "fuzz")
    return {"key": key}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The app on a real server over a fresh database; PostgreSQL too, since it
    refuses what SQLite takes (a NUL in text)."""
    data = tmp_path_factory.mktemp("openapi")
    if request.param == "sqlite":
        database = migrated_sqlite(Path(data) / "api.sqlite3")
    else:
        database = asyncio.run(create_pg_database())
        upgrade(database)
    try:
        with live_api(api_settings(database, data, api_rate_per_minute=100_000), _seed) as live:
            yield live
    finally:
        if request.param == "postgres":
            asyncio.run(drop_pg_database(database))


def test_the_document_declares_every_route_and_its_errors(server):
    url, _ = server
    document = httpx.get(f"{url}/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {
        "/api/v1/purchases",
        "/api/v1/purchases/batch",
        "/api/v1/catalog",
        "/api/v1/stats",
    } <= set(paths)
    for path, methods in paths.items():
        for method, operation in methods.items():
            declared = set(operation["responses"])
            assert {"413", "422"} <= declared, (method, path)
            if path.startswith("/api/v1/"):  # the key-carrying partner API
                assert {"401", "429"} <= declared, (method, path)
                assert operation.get("security"), (method, path)
    assert "examples" in document["components"]["schemas"]["PurchaseIn"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_route_keeps_to_the_document(server, mode):
    url, seeded = server
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    auth = {"Authorization": f"Bearer {seeded['key']}"}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def keeps_to_the_document(case) -> None:
            response = case.call(base_url=url, headers=auth)
            # Invalid data must be refused; a body past 1 MiB is refused by its size (413).
            # GETs are left out: unknown query parameters are ignored, as FastAPI does.
            refused = (
                mode is GenerationMode.NEGATIVE
                and response.status_code != 413
                and case.method != "GET"
            )
            case.validate_response(
                response, checks=CHECKS + ([negative_data_rejection] if refused else [])
            )

        keeps_to_the_document()
