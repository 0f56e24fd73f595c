"""The recommender's inputs, read from the database as pandas frames.

Members appear under their pseudonyms and services under their ids (as
strings): the recommender never sees a Telegram id or touches a session.
Erased members and reversed purchases are left out.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.leads.models import LeadOutcome
from referral.ledger.activity_models import Purchase
from referral.ledger.catalogue_models import Service
from referral.models import Company, Member
from referral.offers.models import Lead, OfferFeedback

ANSWERED_LEADS = ("accepted", "delivered", "won", "lost")

PURCHASE_COLUMNS = ["user_id", "item_id", "timestamp", "amount", "company_id"]
PROFILE_COLUMNS = ["user_id", "income_band", "region"]
SKIPPED = "-"  # a profile question the member skipped: a group of its own


def _unix(series: pd.Series) -> pd.Series:
    if series.empty:
        return series.astype("int64")
    # pandas may pick microsecond (not nanosecond) resolution: convert explicitly.
    return pd.to_datetime(series, utc=True).dt.as_unit("s").astype("int64")


async def purchases_frame(session: AsyncSession) -> pd.DataFrame:
    """user_id (pseudonym), item_id (service id), timestamp (Unix s), amount (roubles),
    company_id."""
    rows = (
        await session.execute(
            select(
                Member.pseudonym,
                Purchase.service_id,
                Purchase.purchased_at,
                Purchase.amount_minor,
                Purchase.company_id,
            )
            .join(Member, Member.id == Purchase.member_id)
            .where(Purchase.status == "completed", Member.erased_at.is_(None))
            .order_by(Purchase.id)
        )
    ).all()
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "at", "amount", "company_id"])
    df["item_id"] = df["item_id"].astype(str)
    df["timestamp"] = _unix(df.pop("at"))
    df["amount"] = df["amount"].astype(float) / 100.0
    return df[PURCHASE_COLUMNS]


async def profiles_frame(session: AsyncSession) -> pd.DataFrame:
    """user_id (pseudonym), income_band, region: the side information onboarding
    collects, for live members who answered at least one of the two."""
    rows = (
        await session.execute(
            select(Member.pseudonym, Member.income_band, Member.region)
            .where(
                Member.erased_at.is_(None),
                (Member.income_band.is_not(None)) | (Member.region.is_not(None)),
            )
            .order_by(Member.id)
        )
    ).all()
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS).fillna(SKIPPED)


async def feedback_frame(session: AsyncSession) -> pd.DataFrame:
    """user_id, item_id, value (+1/-1), timestamp: the offer answers, then the
    partners' lead outcomes."""
    rows = (
        await session.execute(
            select(
                Member.pseudonym,
                OfferFeedback.service_id,
                OfferFeedback.value,
                OfferFeedback.created_at,
            )
            .join(Member, Member.id == OfferFeedback.member_id)
            .where(Member.erased_at.is_(None))
            .order_by(OfferFeedback.id)
        )
    ).all()
    # The partners' outcomes of delivered leads: won +1, lost -1 (issue 11).
    rows += (
        await session.execute(
            select(Member.pseudonym, Lead.service_id, LeadOutcome.value, LeadOutcome.at)
            .join(Lead, Lead.id == LeadOutcome.lead_id)
            .join(Member, Member.id == Lead.member_id)
            .where(Member.erased_at.is_(None))
            .order_by(LeadOutcome.id)
        )
    ).all()
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "value", "at"])
    df["item_id"] = df["item_id"].astype(str)
    df["value"] = df["value"].astype("int64")
    df["timestamp"] = _unix(df.pop("at"))
    return df


async def catalogue_frame(session: AsyncSession) -> pd.DataFrame:
    """item_id, service_id, company_id, company, name, category, price_minor,
    discount_percent, active."""
    rows = (
        await session.execute(
            select(
                Service.id,
                Service.company_id,
                Company.name,
                Service.name,
                Service.category,
                Service.price_minor,
                Service.discount_percent,
                Service.active,
            )
            .join(Company, Company.id == Service.company_id)
            .order_by(Service.id)
        )
    ).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "service_id",
            "company_id",
            "company",
            "name",
            "category",
            "price_minor",
            "discount_percent",
            "active",
        ],
    )
    df.insert(0, "item_id", df["service_id"].astype(str))
    return df


async def leads_frame(session: AsyncSession) -> pd.DataFrame:
    """user_id, item_id, company_id, paid, amount: a lead is paid when the member
    bought that service after the lead was created (input of service_economics)."""
    leads = pd.DataFrame(
        (
            await session.execute(
                select(
                    Lead.id,
                    Lead.member_id,
                    Member.pseudonym,
                    Lead.service_id,
                    Lead.company_id,
                    Lead.created_at,
                )
                .join(Member, Member.id == Lead.member_id)
                # Only leads a member said yes to: a card's lead on its way has no service yet.
                .where(Lead.status.in_(ANSWERED_LEADS))
            )
        ).all(),
        columns=["lead", "member_id", "user_id", "service_id", "company_id", "created"],
    )
    buys = pd.DataFrame(
        (
            await session.execute(
                select(
                    Purchase.member_id,
                    Purchase.service_id,
                    Purchase.purchased_at,
                    Purchase.amount_minor,
                ).where(Purchase.status == "completed")
            )
        ).all(),
        columns=["member_id", "service_id", "at", "amount"],
    )
    leads["created"] = _unix(leads["created"])
    buys["at"] = _unix(buys["at"])
    both = leads.merge(buys, on=["member_id", "service_id"], how="inner")
    both = both[both["at"] >= both["created"]]
    spent = both.groupby("lead")["amount"].sum()
    # A partner's "won" with its amount counts as paid even before the purchase arrives.
    won = dict(
        (
            await session.execute(
                select(LeadOutcome.lead_id, LeadOutcome.amount_minor).where(LeadOutcome.value == 1)
            )
        ).all()
    )
    for lead_id, amount in won.items():
        if lead_id in leads["lead"].values and lead_id not in spent.index:
            spent.loc[lead_id] = amount or 0
    leads["amount"] = leads["lead"].map(spent).fillna(0).astype(float) / 100.0
    leads["paid"] = leads["lead"].isin(spent.index)
    leads["item_id"] = leads["service_id"].astype(str)
    return leads[["user_id", "item_id", "company_id", "paid", "amount"]]
