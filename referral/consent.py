"""Consent rules: which consent counts, and the version members accept."""

from __future__ import annotations

from collections.abc import Iterable

from referral.models import Consent

# Bump when the consent text changes in substance; members who accepted an
# older version are asked again before anything else is done for them.
CONSENT_VERSION = "2026-11"


def active_consent(consents: Iterable[Consent], current_version: str = CONSENT_VERSION) -> Consent | None:
    """The consent that lets us process a member's data, if any.

    It must not be withdrawn and must be of the current version.
    """
    for consent in sorted(consents, key=lambda c: c.accepted_at, reverse=True):
        if consent.withdrawn_at is None and consent.version == current_version:
            return consent
    return None
