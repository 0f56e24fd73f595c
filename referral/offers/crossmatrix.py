"""The operator's cross-service matrix: `refbot crossmatrix import FILE.csv`.

Header ``company_a,service_a,company_b,service_b,weight``: service A (a
catalogue code) of company X (a company code) relates to service B of company
Y with a positive weight. The file is the whole matrix: an import replaces the
stored links, in one transaction, or changes nothing when any row is bad
(every bad row is reported with its line number).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from referral.ledger.catalogue_models import Service
from referral.ledger.csvfile import read_rows
from referral.ledger.errors import InvalidFile
from referral.models import Company
from referral.offers.models import CrossService
from referral.stamps import bump

REQUIRED = ("company_a", "service_a", "company_b", "service_b", "weight")


@dataclass(frozen=True)
class CrossReport:
    links: int
    replaced: int


class CrossMatrixService:
    def __init__(self, db: async_sessionmaker[AsyncSession]) -> None:
        self.db = db

    async def import_csv(self, data: bytes | str) -> CrossReport:
        rows = read_rows(data, REQUIRED)
        problems: list[tuple[int, str]] = []
        async with self.db.begin() as session:
            known = await _service_ids(session)
            links: dict[tuple[int, int], tuple[int, float]] = {}
            for line, row in rows:
                a = known.get((row["company_a"].lower(), row["service_a"]))
                b = known.get((row["company_b"].lower(), row["service_b"]))
                weight = _weight(row["weight"])
                for side, found in (("a", a), ("b", b)):
                    if found is None:
                        problems.append(
                            (
                                line,
                                f"no service {row['service_' + side]!r} "
                                f"of company {row['company_' + side]!r}",
                            )
                        )
                if weight is None:
                    problems.append((line, f"weight {row['weight']!r} must be a positive number"))
                if a is not None and b is not None and a == b:
                    problems.append((line, "a service cannot be linked to itself"))
                if a is None or b is None or weight is None or a == b:
                    continue
                if (a, b) in links:
                    problems.append((line, f"repeats the link of line {links[(a, b)][0]}"))
                links[(a, b)] = (line, weight)
            if problems:
                raise InvalidFile(problems)
            replaced = (await session.execute(delete(CrossService))).rowcount or 0
            session.add_all(
                CrossService(service_a_id=a, service_b_id=b, weight=w)
                for (a, b), (_, w) in links.items()
            )
            await bump(session)
        return CrossReport(len(links), replaced)


def _weight(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


async def _service_ids(session: AsyncSession) -> dict[tuple[str, str], int]:
    rows = (
        await session.execute(
            select(Company.code, Service.code, Service.id).join(
                Company, Company.id == Service.company_id
            )
        )
    ).all()
    return {(company, code): service_id for company, code, service_id in rows}
