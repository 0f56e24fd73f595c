"""Every ledger feature built once on one session factory and one Ledger."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.bundles import BundleService
from referral.ledger.catalog import CatalogService
from referral.ledger.invites import InviteService
from referral.ledger.ledger import Ledger
from referral.ledger.purchases import PurchaseService
from referral.ledger.reviews import ReviewService
from referral.ledger.rules import RuleService
from referral.ledger.shortfalls import ShortfallNotices
from referral.ledger.vouchers import VoucherService
from referral.ledger.wallet import WalletService


@dataclass
class Loyalty:
    ledger: Ledger
    rules: RuleService
    catalog: CatalogService
    bundles: BundleService
    purchases: PurchaseService
    invites: InviteService
    vouchers: VoucherService
    reviews: ReviewService
    wallet: WalletService
    shortfalls: ShortfallNotices


def build_loyalty(
    db: async_sessionmaker[AsyncSession], ledger: Ledger, phone_key: bytes
) -> Loyalty:
    return Loyalty(
        ledger=ledger,
        rules=RuleService(db),
        catalog=CatalogService(db),
        bundles=BundleService(db),
        purchases=PurchaseService(db, ledger),
        invites=InviteService(db, phone_key),
        vouchers=VoucherService(db, ledger),
        reviews=ReviewService(db, ledger),
        wallet=WalletService(db),
        shortfalls=ShortfallNotices(db),
    )
