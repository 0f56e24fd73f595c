"""A partner's numbers in plain words and one chart; shared by /stats and
`refbot stats` (so no aiogram here). Hidden counts read "fewer than N", never
their value (but 0 under a floor of 1, which hides nothing)."""

from __future__ import annotations

from html import escape
from math import ceil

from bot.texts import Texts
from referral.offers.stats import CompanyStats, Count, Share
from referral.offers.stats_chart import LABELS, render


def money(minor: int) -> str:
    # As bot.messages.offers.money; not imported from there, which pulls in aiogram
    # and would slow `refbot stats` down.
    return f"{minor // 100}" if minor % 100 == 0 else f"{minor / 100:.2f}"


def count(texts: Texts, c: Count) -> str:
    return str(c.value) if c.readable else texts("partner.stats_fewer", floor=c.floor)


def percent(texts: Texts, s: Share) -> str:
    if s.value is not None:
        return f"{100 * s.value:.0f}%"
    if s.under is not None and s.under < 1:  # "under 100%" would say nothing
        return texts("partner.stats_under", percent=ceil(100 * s.under))
    if s.empty:
        return texts("partner.stats_nothing_yet")
    return texts("partner.stats_withheld")


def rub(texts: Texts, minor: int | None) -> str:
    return (
        texts("partner.stats_withheld")
        if minor is None
        else texts("partner.stats_rub", amount=money(minor))
    )


def stats_text(texts: Texts, s: CompanyStats) -> str:
    lines = [
        texts("partner.stats_header", company=escape(s.company)),
        texts("partner.stats_members", members=count(texts, s.members)),
        texts(
            "partner.stats_leads",
            leads=count(texts, s.leads),
            converted=count(texts, s.converted),
            conversion=percent(texts, s.conversion),
        ),
        texts(
            "partner.stats_money",
            payers=count(texts, s.payers),
            purchases=count(texts, s.purchases),
            arppu=rub(texts, s.arppu_minor),
            check=rub(texts, s.average_check_minor),
        ),
        texts("partner.stats_retention", retention=percent(texts, s.retention)),
    ]
    if s.months:
        last = s.months[-1]
        lines.append(
            texts(
                "partner.stats_last_month",
                month=last.month,
                next_month=last.next_month,
                retention=percent(texts, last.retention),
            )
        )
    if s.floor > 1:  # under a floor of 1 no count is hidden: nothing to explain
        lines.append(texts("partner.stats_privacy", floor=s.floor))
    return "\n".join(lines)


def stats_chart(texts: Texts, s: CompanyStats) -> bytes:
    labels = {name: texts(f"partner.stats_chart_{name}", company=s.company) for name in LABELS}
    return render(s, labels)
