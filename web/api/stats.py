"""GET /api/v1/stats: the company's numbers, as `/stats` shows them in the bot."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from referral.apikeys import Caller
from referral.offers.stats import CompanyStats, Count, PartnerStats, Share
from web.auth import api_company, services_of
from web.errors import API_ERRORS

router = APIRouter(tags=["stats"])


class CountOut(BaseModel):
    """A count; under the floor (MIN_AUDIENCE) it is hidden and ``value`` is null."""

    value: int | None
    hidden: bool


class ShareOut(BaseModel):
    """A share 0-1: ``value`` when shown, ``under`` an upper bound when the part is hidden."""

    value: float | None
    under: float | None


class MonthOut(BaseModel):
    month: str = Field(examples=["2026-09"])
    next_month: str = Field(examples=["2026-10"])
    buyers: CountOut
    returned: CountOut
    retention: ShareOut


class StatsOut(BaseModel):
    company: str
    floor: int = Field(description="Counts under it are hidden so no person can be singled out.")
    members: CountOut
    leads: CountOut = Field(
        description="Leads delivered to the company: delivered, won or lost (the member "
        "accepted its offer)."
    )
    funnel: dict[str, CountOut] = Field(
        description="The company's leads by pipeline state, every state named; a lead counts "
        "for the company once the pipeline chose its offer (waiting on)."
    )
    converted: CountOut
    conversion: ShareOut
    payers: CountOut
    purchases: CountOut
    arppu_minor: int | None = Field(description="Revenue per paying member, kopecks.")
    average_check_minor: int | None = Field(description="Revenue per purchase, kopecks.")
    retention: ShareOut
    months: list[MonthOut]
    computed_at: datetime

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "company": "Acme Coffee",
                    "floor": 5,
                    "members": {"value": 120, "hidden": False},
                    "leads": {"value": None, "hidden": True},
                    "funnel": {"delivered": {"value": None, "hidden": True}},
                    "converted": {"value": None, "hidden": True},
                    "conversion": {"value": None, "under": None},
                    "payers": {"value": 40, "hidden": False},
                    "purchases": {"value": 95, "hidden": False},
                    "arppu_minor": 123450,
                    "average_check_minor": 51980,
                    "retention": {"value": 0.42, "under": None},
                    "months": [],
                    "computed_at": "2026-12-01T09:00:00Z",
                }
            ]
        }
    }


def _count(count: Count) -> CountOut:
    return CountOut(value=None if count.hidden else count.value, hidden=count.hidden)


def _share(share: Share) -> ShareOut:
    return ShareOut(value=share.value, under=share.under)


def stats_out(stats: CompanyStats, funnel: dict[str, int], at: datetime) -> StatsOut:
    return StatsOut(
        company=stats.company,
        floor=stats.floor,
        members=_count(stats.members),
        leads=_count(stats.leads),
        funnel={state: _count(Count(n, stats.floor)) for state, n in funnel.items()},
        converted=_count(stats.converted),
        conversion=_share(stats.conversion),
        payers=_count(stats.payers),
        purchases=_count(stats.purchases),
        arppu_minor=stats.arppu_minor,
        average_check_minor=stats.average_check_minor,
        retention=_share(stats.retention),
        months=[
            MonthOut(
                month=pair.month,
                next_month=pair.next_month,
                buyers=_count(pair.buyers),
                returned=_count(pair.returned),
                retention=_share(pair.retention),
            )
            for pair in stats.months
        ],
        computed_at=at,
    )


@router.get("/stats", response_model=StatsOut, responses=API_ERRORS)
async def get_stats(request: Request, company: Caller = Depends(api_company)) -> StatsOut:
    """The company's members, leads (and their funnel by state), conversion, ARPPU,
    average check and retention."""
    services = services_of(request)
    at = services.ledger.clock()
    stats: PartnerStats = services.partner_stats
    funnel = await services.leads.funnel(company.company_id)
    return stats_out(await stats.of_company(company.company_id, at), funnel, at)
