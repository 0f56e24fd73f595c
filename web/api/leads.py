"""The company's leads, from *delivered* on: a cursor page, one lead, its
outcome (won with the amount, or lost: the recommender's +1 / -1), and a
message to the member through the bot. Another company's lead is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from referral.apikeys import Caller
from referral.leads.delivery import PartnerLead
from web.auth import api_company, services_of
from web.errors import declared

router = APIRouter(tags=["leads"])
ERRORS = declared(401, 404, 413, 422, 429)
# Ids past 64 bits are no lead of anyone's: a 422, never a database overflow.
LeadId = Annotated[int, Path(ge=1, le=2**62, description="The lead's id.")]
Company = Annotated[Caller, Depends(api_company)]
Status = Literal["delivered", "won", "lost"]


class LeadOut(BaseModel):
    id: int
    status: Status
    service_code: str
    service: str
    member_code: str = Field(description="The member's pseudonymous code (never a Telegram id).")
    age_band: str | None
    income_band: str | None
    region: str | None
    probability: float | None = Field(description="P(accept) the pipeline scored the offer at.")
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, lead: PartnerLead) -> LeadOut:
        return cls.model_validate(lead, from_attributes=True)


class LeadPageOut(BaseModel):
    leads: list[LeadOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class OutcomeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "won", "amount_minor": 120000}]},
    )

    outcome: Literal["won", "lost"]
    amount_minor: int | None = Field(default=None, ge=0, le=10**13, description="Kopecks.")

    @model_validator(mode="after")
    def _amount_only_when_won(self) -> OutcomeIn:
        if self.outcome == "won" and self.amount_minor is None:
            raise ValueError("amount_minor is required when the outcome is won")
        if self.outcome == "lost" and self.amount_minor is not None:
            raise ValueError("amount_minor is only for a won lead")
        return self


class MessageIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": "Hello! When suits you?"}]}
    )

    # Line breaks and tabs are fine; NUL and other controls are not (PostgreSQL text).
    text: str = Field(min_length=1, max_length=3000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")


class MessageOut(BaseModel):
    message_id: int
    queued: bool = Field(description="The bot relays it to the member within seconds.")


@router.get("/leads", response_model=LeadPageOut, responses=ERRORS)
async def list_leads(
    request: Request,
    company: Company,
    status: Annotated[Status | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LeadPageOut:
    """Delivered leads, newest first, a page at a time."""
    page = await services_of(request).leads.page(company.company_id, status, cursor, limit)
    leads = [LeadOut.of(lead) for lead in page.leads]
    return LeadPageOut(leads=leads, next_cursor=page.next_cursor)


@router.get("/leads/{lead_id}", response_model=LeadOut, responses=ERRORS)
async def get_lead(lead_id: LeadId, request: Request, company: Company) -> LeadOut:
    return LeadOut.of(await services_of(request).leads.get(company.company_id, lead_id))


@router.post(
    "/leads/{lead_id}/outcome", response_model=LeadOut, responses={**ERRORS, **declared(409)}
)
async def post_outcome(
    lead_id: LeadId, outcome: OutcomeIn, request: Request, company: Company
) -> LeadOut:
    """won (with the amount) or lost, once: the same outcome again answers as the
    first time and changes nothing; the other outcome is a 409 (outcome_conflict)."""
    won = outcome.outcome == "won"
    lead = await services_of(request).leads.report_outcome(
        company.company_id, lead_id, won, outcome.amount_minor
    )
    return LeadOut.of(lead)


@router.post(
    "/leads/{lead_id}/messages", response_model=MessageOut, status_code=202, responses=ERRORS
)
async def post_message(
    lead_id: LeadId, message: MessageIn, request: Request, company: Company
) -> MessageOut:
    """A message to the lead's member, relayed by the bot under the company's name."""
    queued = await services_of(request).threads.partner_writes(
        company.company_id, lead_id, message.text
    )
    return MessageOut(message_id=queued.message_id, queued=True)


class AttemptOut(BaseModel):
    delivery_id: int
    message_id: str = Field(description="The webhook-id header: the same on every retry.")
    event_type: str
    number: int = Field(description="1 for the first try, then each retry.")
    status_code: int | None = Field(description="Your server's answer; null: no answer.")
    error: str | None
    at: datetime


@router.get("/webhook/attempts", response_model=list[AttemptOut], responses=ERRORS)
async def webhook_attempts(
    request: Request,
    company: Company,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AttemptOut]:
    """Every POST made to your lead webhook, newest first."""
    attempts = await services_of(request).webhooks.attempts_of(company.company_id, limit)
    return [AttemptOut.model_validate(a, from_attributes=True) for a in attempts]
