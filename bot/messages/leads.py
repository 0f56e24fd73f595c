"""A partner's /leads in words: one line per lead, and one line naming every
company of theirs that has none yet (not a message per empty company)."""

from __future__ import annotations

from html import escape

from bot.texts import Texts
from referral.leads.delivery import PartnerLead


def lead_line(texts: Texts, lead: PartnerLead) -> str:
    bands = ", ".join(b for b in (lead.age_band, lead.income_band, lead.region) if b)
    return texts(
        "leads.line",
        id=lead.id,
        date=f"{lead.created_at:%Y-%m-%d}",
        service=escape(lead.service),
        code=lead.member_code,
        profile=bands or texts("leads.profile_unknown"),
        status=texts(f"leads.status_{lead.status}"),
    )


def no_leads_text(texts: Texts, quiet: list[str], any_shown: bool) -> str:
    """``quiet``: names of the companies without leads; when no company has any,
    a plain "no leads yet" says it all."""
    if not any_shown:
        return texts("leads.none")
    return texts("leads.none_at", companies=", ".join(escape(name) for name in quiet))
