"""Arranging survey worlds through the public services."""

from __future__ import annotations

from referral import links
from referral.companies import CompanyService
from referral.members import MemberService
from referral.roles import RoleService
from referral.surveys.spec import parse_spec

QUESTIONS = [
    {"kind": "rating", "text": "How do you like our coffee?"},
    {"kind": "single", "text": "Which drink?", "options": ["Espresso", "Latte", "Cappuccino"]},
    {"kind": "multi", "text": "When do you visit?", "options": ["Morning", "Afternoon", "Evening"]},
    {"kind": "text", "text": "Anything we should improve?"},
]


def spec(company: str = "acme", **over: object):  # type: ignore[no-untyped-def]
    data = {
        "title": "Coffee quality",
        "company": company,
        "reward_points": 50,
        "questions": QUESTIONS,
    }
    data.update(over)
    return parse_spec(data)


async def members(db, n: int, code: str = "acme", first_id: int = 10_000) -> list[int]:  # type: ignore[no-untyped-def]
    """A company with ``n`` consenting members; returns their Telegram ids."""
    companies = CompanyService(db)
    try:
        await companies.get(code)
    except Exception:  # noqa: BLE001
        await companies.add(code.title(), code)
    service = MemberService(db, RoleService(db, frozenset()))
    ids = list(range(first_id, first_id + n))
    for tid in ids:
        await service.accept_consent(tid, links.LinkTarget(code), "en")
    return ids
