"""Consent rules: which consent counts, and the version members accept."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, exists, select

from referral.models import Consent, Member

# Bump when the consent text changes in substance; members who accepted an
# older version are asked again before anything else is done for them.
CONSENT_VERSION = "2026-11"


def active_consent(
    consents: Iterable[Consent], current_version: str = CONSENT_VERSION
) -> Consent | None:
    """The consent that lets us process a member's data, if any.

    It must not be withdrawn and must be of the current version.
    """
    for consent in sorted(consents, key=lambda c: c.accepted_at, reverse=True):
        if consent.withdrawn_at is None and consent.version == current_version:
            return consent
    return None


def consenting_member(telegram_id: int, version: str = CONSENT_VERSION) -> Select[tuple[Member]]:
    """The member with this Telegram id, if their consent is current and not
    withdrawn: the rule of ``active_consent`` as one query."""
    return consenting_members([telegram_id], version)


def consenting_members(
    telegram_ids: list[int], version: str = CONSENT_VERSION
) -> Select[tuple[Member]]:
    """The consenting members among these Telegram ids (see ``consenting_member``)."""
    current = exists().where(
        Consent.member_id == Member.id,
        Consent.version == version,
        Consent.withdrawn_at.is_(None),
    )
    return select(Member).where(Member.telegram_id.in_(telegram_ids), current)
