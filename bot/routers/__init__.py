"""One router per feature, built fresh for each Dispatcher; the fallback is last."""

from __future__ import annotations

from aiogram import Router

from bot.routers import (
    common,
    fallback,
    invite,
    marketer,
    offers,
    onboarding,
    partner,
    privacy,
    reachability,
    redeem,
    reviews,
    surveys,
    wallet,
)


def get_routers() -> list[Router]:
    return [
        reachability.router(),
        onboarding.router(),
        privacy.router(),
        common.router(),
        partner.router(),
        surveys.router(),
        marketer.router(),
        wallet.router(),
        invite.router(),
        reviews.router(),
        redeem.router(),
        offers.router(),
        fallback.router(),
    ]
