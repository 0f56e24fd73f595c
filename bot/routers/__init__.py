"""One router per feature, built fresh for each Dispatcher; the fallback is last.

Onboarding comes first: /start and the consent buttons are most of the
traffic a QR campaign brings, and aiogram walks every router before the one
that handles an update through its own middleware chain, handlers or not.
"""

from __future__ import annotations

from aiogram import Router

from bot.routers import (
    common,
    fallback,
    invite,
    leads,
    marketer,
    offers,
    onboarding,
    partner,
    privacy,
    reachability,
    redeem,
    reviews,
    surveys,
    threads,
    wallet,
    workspace,
)


def get_routers() -> list[Router]:
    return [
        onboarding.router(),
        reachability.router(),
        privacy.router(),
        common.router(),
        partner.router(),
        surveys.router(),
        marketer.router(),
        workspace.router(),
        wallet.router(),
        invite.router(),
        reviews.router(),
        redeem.router(),
        offers.router(),
        leads.router(),
        threads.router(),
        fallback.router(),
    ]
