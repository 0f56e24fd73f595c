"""PUT /api/v1/catalog: the company's services and outlets, as `refbot catalog import`.

The same rules as the file: a service is matched by its code and an outlet by
its name, each updated or added; what the body leaves out stays as it is; the
whole body is applied or, on any problem, nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from referral.apikeys import Caller
from referral.ledger.catalog import CatalogItem
from web.api.purchases import PRINTABLE
from web.auth import api_company, services_of
from web.errors import API_ERRORS

router = APIRouter(tags=["catalog"])

MAX_ITEMS = 5000


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=PRINTABLE, examples=["latte"])
    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE, examples=["Латте 0,3 л"])
    category: str = Field(min_length=1, max_length=60, pattern=PRINTABLE, examples=["coffee"])
    price_minor: int = Field(strict=True, ge=0, le=10**12, description="Price in kopecks.")
    discount_percent: int = Field(default=0, strict=True, ge=0, le=100)

    def item(self) -> CatalogItem:
        return CatalogItem(
            code=self.code,
            name=self.name,
            category=self.category,
            price_minor=self.price_minor,
            discount_percent=self.discount_percent,
        )


class OutletIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE, examples=["Тверская, 7"])
    lat: float = Field(strict=True, ge=-90, le=90, examples=[55.7577])
    lon: float = Field(strict=True, ge=-180, le=180, examples=[37.6136])


class CatalogIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "services": [
                        {
                            "code": "latte",
                            "name": "Латте 0,3 л",
                            "category": "coffee",
                            "price_minor": 25000,
                            "discount_percent": 10,
                        }
                    ],
                    "outlets": [{"name": "Тверская, 7", "lat": 55.7577, "lon": 37.6136}],
                }
            ]
        },
    )

    services: list[ServiceIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    outlets: list[OutletIn] = Field(default_factory=list, max_length=MAX_ITEMS)


class CatalogOut(BaseModel):
    services_changed: int = Field(description="Services added or updated (unchanged not counted).")
    outlets_changed: int


@router.put("/catalog", response_model=CatalogOut, responses=API_ERRORS)
async def put_catalog(
    body: CatalogIn, request: Request, company: Caller = Depends(api_company)
) -> CatalogOut:
    """Add or update the company's services and outlets, all or nothing."""
    report = await services_of(request).loyalty.catalog.put(
        company.company_id,
        [service.item() for service in body.services],
        [(outlet.name, outlet.lat, outlet.lon) for outlet in body.outlets],
    )
    return CatalogOut(services_changed=report.services, outlets_changed=report.outlets)
