"""Signed deep-link payloads: round trips, and every kind of tampering refused."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral import links
from referral.errors import InvalidLink
from referral.links import LinkTarget

KEY = b"unit-test-key"
codes = st.from_regex(r"[a-z0-9][a-z0-9-]{1,19}", fullmatch=True)
pseudonyms = st.from_regex(r"[a-z2-7]{10}", fullmatch=True)


@given(codes, st.none() | pseudonyms)
def test_payload_round_trips_within_telegram_limits(code, inviter):
    payload = links.sign(LinkTarget(code, inviter), KEY)
    assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
    assert links.parse(payload, KEY) == LinkTarget(code, inviter)


@given(
    codes,
    st.integers(min_value=0, max_value=63),
    st.sampled_from(string.ascii_letters + string.digits + "_-"),
)
def test_any_edited_character_is_refused(code, position, replacement):
    payload = links.sign(LinkTarget(code), KEY)
    position %= len(payload)
    if payload[position] == replacement:
        return
    edited = payload[:position] + replacement + payload[position + 1 :]
    with pytest.raises(InvalidLink):
        links.parse(edited, KEY)


@given(codes, st.integers(min_value=1, max_value=40))
def test_truncated_payload_is_refused(code, cut):
    payload = links.sign(LinkTarget(code), KEY)
    with pytest.raises(InvalidLink):
        links.parse(payload[: max(0, len(payload) - cut)], KEY)


def test_payload_signed_under_another_secret_is_refused():
    payload = links.sign(LinkTarget("acme"), b"someone-else")
    with pytest.raises(InvalidLink):
        links.parse(payload, KEY)


def test_company_link_cannot_be_turned_into_another_company():
    payload = links.sign(LinkTarget("acme"), KEY)
    with pytest.raises(InvalidLink):
        links.parse(payload.replace("acme", "acmf"), KEY)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "x" * 65,
        "c_acme",
        "'; DROP TABLE members; --",
        "c_acme_" + "A" * 12,
        "Привет",
        "c__AAAAAAAAAAAA",
    ],
)
def test_hostile_payloads_are_refused(payload):
    with pytest.raises(InvalidLink):
        links.parse(payload, KEY)


def test_signing_refuses_codes_outside_the_alphabet():
    with pytest.raises(InvalidLink):
        links.sign(LinkTarget("ACME_1"), KEY)
