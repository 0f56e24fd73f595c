"""POST /api/v1/client-cards: a client whose deal reached its last stage in
the partner's CRM. A member's card becomes a lead; any other is kept only as
anonymous training data. The same ``deal_id`` again answers as the first time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from referral.apikeys import Caller
from referral.leads.cards import CardIn
from web.auth import api_company, services_of
from web.errors import declared

router = APIRouter(tags=["leads"])
# No control characters (PostgreSQL text cannot hold NUL): a 422, never a 500.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
ERRORS = declared(401, 413, 422, 429)


class ClientCardIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "deal_id": "crm-48213",
                    "member_code": "K7QX2M9P",
                    "services": ["coffee", "cake"],
                    "amount_minor": 50000,
                    "won": True,
                }
            ]
        },
    )

    deal_id: str = Field(
        min_length=1, max_length=100, pattern=PRINTABLE, description="Your CRM's deal id."
    )
    member_code: str | None = Field(
        default=None,
        max_length=16,
        pattern=PRINTABLE,
        description="The code the member sees in /wallet, if any.",
    )
    services: list[Annotated[str, Field(min_length=1, max_length=40, pattern=PRINTABLE)]] = Field(
        min_length=1, max_length=100, description="Service codes of your catalogue."
    )
    amount_minor: int = Field(ge=0, le=10**13, description="The deal's amount, kopecks.")
    won: bool = Field(description="The deal's last stage: won (true) or lost (false).")


class ClientCardOut(BaseModel):
    card_id: int
    lead_id: int | None = Field(description="Null: no member named, kept as training data only.")
    duplicate: bool = Field(description="True when this deal id was already received.")


@router.post(
    "/client-cards",
    response_model=ClientCardOut,
    status_code=201,
    responses={200: {"description": "This deal id was received before."}, **ERRORS},
)
async def post_card(
    card: ClientCardIn,
    request: Request,
    response: Response,
    company: Annotated[Caller, Depends(api_company)],
) -> ClientCardOut:
    """Receive a client card (idempotent on ``deal_id``)."""
    receipt = await services_of(request).leads.receive_card(
        company.company_id,
        CardIn(
            external_id=card.deal_id,
            service_codes=tuple(card.services),
            amount_minor=card.amount_minor,
            won=card.won,
            member_code=card.member_code,
        ),
    )
    if receipt.duplicate:
        response.status_code = 200
    return ClientCardOut(
        card_id=receipt.card_id, lead_id=receipt.lead_id, duplicate=receipt.duplicate
    )
