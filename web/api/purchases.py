"""POST /api/v1/purchases (one) and /api/v1/purchases/batch (up to 1,000, all or none).

Amounts are whole kopecks (an integer, ``amount_minor``): the ledger's unit, so
nothing is rounded on the way in; a string or a fraction is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from referral.apikeys import Caller
from referral.ledger.purchase_reports import RecordedPurchase, ReportedPurchase
from web.auth import api_company_rechecked_in_route, services_of
from web.errors import API_ERRORS, declared

router = APIRouter(tags=["purchases"])

MAX_BATCH = 1000
# No control characters: PostgreSQL text cannot hold NUL, and none belongs in an id.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
REPLAYED_HEADER = "Idempotent-Replayed"


def _text_only(value: object) -> object:
    # pydantic would read a number as a Unix time; the document promises ISO 8601 text.
    if not isinstance(value, str):
        raise ValueError("time must be ISO 8601 text, e.g. 2026-11-30T14:30:00+03:00")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_text_only)]

_EXAMPLE_IN = {
    "purchase_id": "receipt-2026-000731",
    "member": "k5x2mq7rta",
    "service": "latte",
    "amount_minor": 45050,
    "time": "2026-11-30T14:30:00+03:00",
    "status": "completed",
}


class PurchaseIn(BaseModel):
    """A purchase by a member, as the partner's system saw it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE_IN]})

    purchase_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=PRINTABLE,
        description="The partner's own id of the sale: the idempotency key.",
    )
    member: str = Field(
        min_length=1,
        max_length=16,
        pattern=PRINTABLE,
        description="The member code shown in the bot's /wallet.",
    )
    service: str = Field(
        min_length=1,
        max_length=40,
        pattern=PRINTABLE,
        description="A service code of the catalogue.",
    )
    amount_minor: int = Field(
        strict=True, gt=0, le=10**12, description="Amount in kopecks (45050 = 450.50 ₽)."
    )
    time: IsoTime = Field(description="When it was bought, ISO 8601; no offset means UTC.")
    status: Literal["completed", "reversed"] = Field(
        default="completed", description="reversed: a return of a purchase sent before."
    )

    def reported(self) -> ReportedPurchase:
        return ReportedPurchase(
            purchase_id=self.purchase_id,
            member=self.member,
            service=self.service,
            amount_minor=self.amount_minor,
            at=self.time,
            reversed=self.status == "reversed",
        )


class PurchaseOut(BaseModel):
    """The purchase as recorded; the same purchase sent again reads back the same."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_EXAMPLE_IN, "member": "k5x2mq7rta", "cashback_minor": 2252, "points": 10}
            ]
        }
    )

    purchase_id: str
    member: str
    service: str
    amount_minor: int
    time: datetime
    status: Literal["completed", "reversed"]
    cashback_minor: int = Field(description="Cashback accrued for it, kopecks.")
    points: int = Field(description="Points accrued for it.")


class PurchaseBatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"purchases": [_EXAMPLE_IN]}]}
    )

    purchases: list[PurchaseIn] = Field(min_length=1, max_length=MAX_BATCH)


class PurchaseBatchOut(BaseModel):
    purchases: list[PurchaseOut]


def _out(recorded: RecordedPurchase) -> PurchaseOut:
    return PurchaseOut(
        purchase_id=recorded.purchase_id,
        member=recorded.member,
        service=recorded.service,
        amount_minor=recorded.amount_minor,
        time=recorded.at,
        status=recorded.status,  # type: ignore[arg-type]
        cashback_minor=recorded.cashback_minor,
        points=recorded.points,
    )


_REPLAY_DOC = {
    200: {
        "headers": {
            REPLAYED_HEADER: {
                "description": "true when every purchase was already recorded as sent.",
                "schema": {"type": "string", "enum": ["true", "false"]},
            }
        }
    }
}
_ERRORS = {**API_ERRORS, **declared(409)}


@router.post("/purchases", response_model=PurchaseOut, responses={**_REPLAY_DOC, **_ERRORS})
async def post_purchase(
    body: PurchaseIn,
    request: Request,
    response: Response,
    company: Caller = Depends(api_company_rechecked_in_route),
) -> PurchaseOut:
    """Record a purchase; cashback and points accrue as for `refbot purchases import`."""
    [recorded] = await services_of(request).purchase_reports.record(
        company.company_id, [body.reported()], key_id=company.key_id
    )
    response.headers[REPLAYED_HEADER] = str(recorded.replayed).lower()
    return _out(recorded)


@router.post(
    "/purchases/batch", response_model=PurchaseBatchOut, responses={**_REPLAY_DOC, **_ERRORS}
)
async def post_purchases(
    body: PurchaseBatchIn,
    request: Request,
    response: Response,
    company: Caller = Depends(api_company_rechecked_in_route),
) -> PurchaseBatchOut:
    """Up to 1,000 purchases, recorded all together or, on any problem, none."""
    recorded = await services_of(request).purchase_reports.record(
        company.company_id, [item.reported() for item in body.purchases], key_id=company.key_id
    )
    response.headers[REPLAYED_HEADER] = str(all(r.replayed for r in recorded)).lower()
    return PurchaseBatchOut(purchases=[_out(r) for r in recorded])
