"""/app/api: who may ask, what they see, and every table as CSV."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.workspace.conftest import ALPHA_ADMIN, BETA_ADMIN, MARKETER, NOBODY, OPERATOR, World
from tests.workspace.initdata import sign

VIEWS = ("cohorts", "structure", "segments", "churn", "peers", "insights", "funnel")


async def test_missing_forged_tampered_and_expired_init_data_get_401(
    http: httpx.AsyncClient, world: World
) -> None:
    path = f"/app/api/companies/{world.alpha}/overview"
    assert (await http.get(path)).status_code == 401
    forged = sign(ALPHA_ADMIN, token="999:someone-elses-bot-token")
    assert (await http.get(path, headers={"Authorization": f"tma {forged}"})).status_code == 401
    tampered = sign(ALPHA_ADMIN).replace(f"%22id%22%3A{ALPHA_ADMIN}", f"%22id%22%3A{BETA_ADMIN}")
    assert tampered != sign(ALPHA_ADMIN)
    assert (await http.get(path, headers={"Authorization": f"tma {tampered}"})).status_code == 401
    old = world.tma(ALPHA_ADMIN, auth_date=time.time() - 3601)
    answer = await http.get(path, headers=old)
    assert answer.status_code == 401 and "expired" in answer.json()["message"]
    assert (await http.get(path, headers={"Authorization": "tma garbage"})).status_code == 401
    assert (await http.get(path, headers=world.tma(NOBODY))).status_code == 401
    assert (await http.get(path, headers=world.tma(ALPHA_ADMIN))).status_code == 200


async def test_a_partner_admin_never_reaches_another_companys_figures(
    http: httpx.AsyncClient, world: World
) -> None:
    alpha = world.tma(ALPHA_ADMIN)
    me = (await http.get("/app/api/me", headers=alpha)).json()
    assert [c["id"] for c in me["companies"]] == [world.alpha]
    for view in ("overview", *VIEWS):
        answer = await http.get(f"/app/api/companies/{world.beta}/{view}", headers=alpha)
        assert answer.status_code == 404, view
        csv_answer = await http.get(
            f"/app/api/companies/{world.beta}/{view}?format=csv", headers=alpha
        )
        assert csv_answer.status_code == 404, view
    beta_revenue = (
        await http.get(f"/app/api/companies/{world.beta}/overview", headers=world.tma(BETA_ADMIN))
    ).json()["totals"]["revenue_minor"]["current"]
    alpha_overview = (
        await http.get(f"/app/api/companies/{world.alpha}/overview", headers=alpha)
    ).json()
    assert alpha_overview["totals"]["revenue_minor"]["current"] != beta_revenue
    # Marketer views are for marketers (and operators) only.
    answer = await http.get(f"/app/api/marketer/companies/{world.alpha}/segments", headers=alpha)
    assert answer.status_code == 404


async def test_every_view_answers_and_downloads_as_csv(
    http: httpx.AsyncClient, world: World
) -> None:
    alpha = world.tma(ALPHA_ADMIN)
    overview = (
        await http.get(
            f"/app/api/companies/{world.alpha}/overview?granularity=month", headers=alpha
        )
    ).json()
    assert overview["series"] and overview["totals"]["purchases"]["current"] > 0
    for view in VIEWS:
        answer = await http.get(f"/app/api/companies/{world.alpha}/{view}", headers=alpha)
        assert answer.status_code == 200, view
        assert answer.json()["data"] is not None, view
        table = await http.get(f"/app/api/companies/{world.alpha}/{view}?format=csv", headers=alpha)
        assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
        assert "attachment" in table.headers["content-disposition"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                (
                    await http.get(
                        f"/app/api/companies/{world.alpha}/overview?format=csv", headers=alpha
                    )
                ).text
            )
        )
    )
    assert rows and {"bucket", "revenue_minor", "buyers"} <= set(rows[0])
    unknown = await http.get(
        f"/app/api/companies/{world.alpha}/structure?format=csv&table=nope", headers=alpha
    )
    assert unknown.status_code == 404


async def test_bad_periods_and_views_are_refused_without_a_500(
    http: httpx.AsyncClient, world: World
) -> None:
    alpha = world.tma(ALPHA_ADMIN)
    base = f"/app/api/companies/{world.alpha}"
    for path in (
        f"{base}/overview?start=2026-05-01&end=2026-01-01",
        f"{base}/overview?start=2016-01-01&end=2026-01-01",
        f"{base}/overview?start=yesterday",
        f"{base}/overview?granularity=hour",
        f"{base}/nonsense",
        "/app/api/companies/not-a-number/overview",
    ):
        answer = await http.get(path, headers=alpha)
        assert answer.status_code in (404, 422), (path, answer.status_code)


async def test_an_operator_sees_every_company_and_an_unknown_one_is_absent(
    http: httpx.AsyncClient, world: World
) -> None:
    operator = world.tma(OPERATOR)
    for company_id in (world.alpha, world.beta):
        answer = await http.get(f"/app/api/companies/{company_id}/cohorts", headers=operator)
        assert answer.status_code == 200 and answer.json()["data"]
    for view in ("overview", "cohorts"):
        missing = await http.get(f"/app/api/companies/999999/{view}", headers=operator)
        assert missing.status_code == 404, view


async def test_marketer_sees_audience_and_surveys(http: httpx.AsyncClient, world: World) -> None:
    marketer = world.tma(MARKETER)
    me = (await http.get("/app/api/me", headers=marketer)).json()
    assert me["marketer"] and {c["id"] for c in me["companies"]} == {world.alpha, world.beta}
    # A marketer is not a partner admin: the partner figures stay closed.
    answer = await http.get(f"/app/api/companies/{world.alpha}/overview", headers=marketer)
    assert answer.status_code == 404
    size = (
        await http.get(f"/app/api/marketer/companies/{world.alpha}/audience", headers=marketer)
    ).json()
    assert size["audience"] == 12 and size["enough"]
    from referral.surveys.spec import parse_spec

    survey_id = await world.services.surveys.create(
        parse_spec(
            {
                "title": "How was it?",
                "company": "alpha",
                "questions": [{"kind": "rating", "text": "Rate the coffee"}],
            }
        )
    )
    await world.services.surveys.queue(survey_id)
    (row,) = (await http.get("/app/api/marketer/surveys", headers=marketer)).json()["surveys"]
    assert (row["id"], row["title"], row["queued"], row["answered"]) == (
        survey_id,
        "How was it?",
        12,
        0,
    )
    table = await http.get("/app/api/marketer/surveys?format=csv", headers=marketer)
    assert "How was it?" in table.text
    # No answers yet: the results stay closed (under MIN_AUDIENCE), refused, never a 500.
    results = await http.get(f"/app/api/marketer/surveys/{survey_id}", headers=marketer)
    assert results.status_code == 422 and "answered" in results.json()["message"]
    alpha = world.tma(ALPHA_ADMIN)
    assert (await http.get("/app/api/marketer/surveys", headers=alpha)).status_code == 404


async def test_a_one_time_link_opens_one_browser_session(
    http: httpx.AsyncClient, world: World
) -> None:
    access = world.services.workspace_access
    link = await access.issue_link(ALPHA_ADMIN, "en")
    answer = await http.post("/app/api/session", json={"link": link})
    assert answer.status_code == 200
    session = {"Authorization": "session " + answer.json()["session"]}
    assert (
        await http.get(f"/app/api/companies/{world.alpha}/overview", headers=session)
    ).status_code == 200
    assert (
        await http.get(f"/app/api/companies/{world.beta}/overview", headers=session)
    ).status_code == 404
    again = await http.post("/app/api/session", json={"link": link})
    assert again.status_code == 401
    late = await access.issue_link(ALPHA_ADMIN, "en", now=datetime.now(UTC) - timedelta(minutes=11))
    assert (await http.post("/app/api/session", json={"link": late})).status_code == 401
    wrong = {"Authorization": "session not-a-session"}
    assert (await http.get("/app/api/me", headers=wrong)).status_code == 401
    with pytest.raises(Exception, match="no partner"):
        await access.issue_link(NOBODY, "en")
