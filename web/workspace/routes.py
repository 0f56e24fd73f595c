"""The workspace's data at /app/api/...: every route takes the caller from
``webapp_staff``, checks the company against the caller's roles (another
company reads as absent: 404), asks the domain, and answers JSON, or CSV
with ``?format=csv`` for the tables."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from referral.analytics.access import CompanyHidden, Staff
from referral.analytics.service import Period
from web.workspace.auth import services_of, webapp_staff
from web.workspace.tables import csv_response

# The partner API's OpenAPI document describes the CRM API; the Mini App is not part of it.
router = APIRouter(prefix="/app/api", include_in_schema=False)
StaffDep = Annotated[Staff, Depends(webapp_staff)]
Format = Annotated[Literal["json", "csv"], Query()]
View = Literal["cohorts", "structure", "segments", "churn", "peers", "insights", "funnel"]
SNAPSHOT_VIEWS = get_args(View)


class LinkExchange(BaseModel):
    link: str


@router.post("/session")
async def exchange_link(request: Request, body: LinkExchange) -> dict[str, str]:
    """Spend a one-time `/workspace` link for a browser session token."""
    token = await services_of(request).workspace_access.exchange(body.link)
    return {"session": token}


@router.get("/me", response_model=None)
async def me(request: Request, staff: StaffDep) -> dict:
    companies = await services_of(request).workspace_access.companies(staff)
    return {
        "language": "en" if staff.language.startswith("en") else "ru",
        "operator": staff.roles.admin,
        "marketer": staff.marketer,
        "partner_of": sorted(staff.roles.partner_company_ids),
        "companies": [
            {
                "id": company_id,
                "code": code,
                "name": name,
                "partner": staff.may_see_company(company_id),
            }
            for company_id, code, name in companies
        ],
        "floor": services_of(request).settings.min_audience,
    }


@router.get("/companies/{company_id}/overview", response_model=None)
async def overview(
    request: Request,
    company_id: int,
    staff: StaffDep,
    start: date | None = None,
    end: date | None = None,
    granularity: Literal["day", "week", "month"] = "week",
    format: Format = "json",
) -> Response | dict:
    await services_of(request).workspace_access.check_company(staff, company_id)
    analytics = services_of(request).analytics
    end = end or analytics.today(datetime.now().astimezone())
    start = start or end - timedelta(days=89)
    figures = await analytics.overview(company_id, Period.checked(start, end), granularity)
    if format == "csv":
        return csv_response(figures["series"], f"overview-{company_id}.csv")
    return figures


@router.get("/companies/{company_id}/{view}", response_model=None)
async def snapshot_view(
    request: Request,
    company_id: int,
    view: View,
    staff: StaffDep,
    format: Format = "json",
    table: str | None = None,
) -> Response | dict:
    """One part of the company's last computed snapshot (``computed_at`` says when)."""
    await services_of(request).workspace_access.check_company(staff, company_id)
    body = await services_of(request).analytics.snapshot(company_id)
    if body is None:
        return {"view": view, "computed_at": None, "data": None, "floor": None}
    data = body[view]
    if format == "csv":
        return csv_response(_table(view, data, table), f"{view}-{company_id}.csv")
    return {"view": view, "computed_at": body["computed_at"], "floor": body["floor"], "data": data}


def _table(view: str, data: dict | list, table: str | None) -> list[dict]:
    """The rows of the view's table named ``table`` (the first when omitted)."""
    from web.workspace.tables import view_tables

    tables = view_tables(view, data)
    if not tables:
        return []
    if table is None:
        return next(iter(tables.values()))
    if table not in tables:
        raise CompanyHidden(f"no table {table!r} in {view}; tables: {', '.join(tables)}")
    return tables[table]


@router.get("/marketer/companies/{company_id}/segments", response_model=None)
async def marketer_segments(
    request: Request, company_id: int, staff: StaffDep, format: Format = "json"
) -> Response | dict:
    """The segments surveys can target (from the last training) with their
    sizes, beside the company's behaviour profiles."""
    staff.check_marketer()
    services = services_of(request)
    code = await services.workspace_access.code_of(company_id)
    floor = services.settings.min_audience
    rows = []
    for name in await services.surveys.segments(code):
        size = await services.surveys.audience_size(code, name)
        rows.append({"segment": name, "audience": size if size >= floor else None})
    if format == "csv":
        return csv_response(rows, f"segments-{company_id}.csv")
    snapshot = await services.analytics.snapshot(company_id)
    profiles = snapshot["segments"]["profiles"] if snapshot else []
    return {"targets": rows, "profiles": profiles, "floor": floor}


@router.get("/marketer/companies/{company_id}/audience", response_model=None)
async def audience(
    request: Request, company_id: int, staff: StaffDep, segment: str | None = None
) -> dict:
    """How many members a survey to this company (and segment) would reach now."""
    staff.check_marketer()
    services = services_of(request)
    code = await services.workspace_access.code_of(company_id)
    size = await services.surveys.audience_size(code, segment or None)
    floor = services.settings.min_audience
    return {
        "segment": segment,
        "audience": size if size >= floor else None,
        "enough": size >= floor,
        "floor": floor,
    }


@router.get("/marketer/surveys", response_model=None)
async def surveys(request: Request, staff: StaffDep, format: Format = "json") -> Response | dict:
    staff.check_marketer()
    services = services_of(request)
    rows = []
    for survey in await services.surveys.all():
        progress = await services.surveys.progress(survey.id)
        rows.append(
            {
                "id": survey.id,
                "title": survey.title,
                "company_id": survey.company_id,
                "status": survey.status,
                **progress,
            }
        )
    if format == "csv":
        return csv_response(rows, "surveys.csv")
    return {"surveys": rows}


@router.get("/marketer/surveys/{survey_id}", response_model=None)
async def survey_results(
    request: Request, survey_id: int, staff: StaffDep, format: Format = "json"
) -> Response | dict:
    staff.check_marketer()
    from web.workspace.tables import survey_body

    results = await services_of(request).survey_results.results(survey_id)
    if format == "csv":
        return Response(
            results.csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="survey-{survey_id}.csv"'},
        )
    return survey_body(results)
