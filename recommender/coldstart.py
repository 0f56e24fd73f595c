"""Cold start: the operator's cross-service matrix, then popularity in segment and company.

The operator writes a CSV with the header
``company_a,service_a,company_b,service_b,weight``: service A of company X
relates to service B of company Y with a positive weight. Links are symmetric
unless ``symmetric=False``. Service ids are the recommender's item ids.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.errors import DataFormatError

CROSS_HEADER = ["company_a", "service_a", "company_b", "service_b", "weight"]


def load_cross_services(path: str | Path) -> pd.DataFrame:
    """Read and validate the operator's cross-service CSV; errors carry the line number."""
    path = Path(path)
    rows = []
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataFormatError(f"cannot open file: {exc.strerror}", path=str(path)) from exc
    with fh:
        reader = csv.reader(fh)
        for fields in reader:
            line = reader.line_num
            fields = [f.strip() for f in fields]
            if line == 1:
                if fields != CROSS_HEADER:
                    raise DataFormatError(
                        f"header must be {','.join(CROSS_HEADER)}", line, str(path)
                    )
                continue
            if not any(fields):
                continue
            if len(fields) != 5:
                raise DataFormatError(f"expected 5 fields, got {len(fields)}", line, str(path))
            if not all(fields[:4]):
                raise DataFormatError("company and service ids must not be empty", line, str(path))
            try:
                weight = float(fields[4])
            except ValueError:
                raise DataFormatError(
                    f"weight {fields[4]!r} is not a number", line, str(path)
                ) from None
            if not weight > 0:
                raise DataFormatError(f"weight must be positive, got {weight:g}", line, str(path))
            rows.append(fields[:4] + [weight])
    return pd.DataFrame(rows, columns=CROSS_HEADER)


class CrossServiceColdStart:
    """Offers for a member with little or no history.

    ``fit(cross, popularity=None)``: ``cross`` from :func:`load_cross_services`,
    ``popularity`` a fitted :class:`~recommender.popularity.PopularityRecommender`.
    ``recommend(services, n, segment=None, company=None)`` scores every linked
    service by the summed weights of the links from the member's services, then
    fills up with popularity (in the member's segment, and the company's catalogue
    when ``company`` is given). Learned: ``links_`` (service -> {service: weight}),
    ``company_of_`` (service -> company).
    """

    def __init__(self, symmetric: bool = True) -> None:
        self.symmetric = symmetric

    def fit(self, cross: pd.DataFrame, popularity=None):
        links: dict[str, dict[str, float]] = defaultdict(dict)
        company: dict[str, str] = {}
        for ca, sa, cb, sb, w in cross[CROSS_HEADER].itertuples(index=False):
            sa, sb = str(sa), str(sb)
            links[sa][sb] = links[sa].get(sb, 0.0) + float(w)
            if self.symmetric:
                links[sb][sa] = links[sb].get(sa, 0.0) + float(w)
            company[sa], company[sb] = str(ca), str(cb)
        self.links_ = dict(links)
        self.company_of_ = company
        self.popularity_ = popularity
        return self

    def recommend(
        self, services: Iterable, n: int = 10, segment=None, company=None
    ) -> pd.DataFrame:
        """item_id, score, source ('cross-service' | 'popularity'), best first."""
        have = {str(s) for s in services}
        scores: dict[str, float] = defaultdict(float)
        for s in have:
            for other, w in self.links_.get(s, {}).items():
                if other not in have:
                    scores[other] += w
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        out = pd.DataFrame(
            {
                "item_id": [k for k, _ in ranked],
                "score": np.array([v for _, v in ranked], dtype=float),
                "source": "cross-service",
            }
        )
        if len(out) < n and self.popularity_ is not None:
            fill = self.popularity_.top_items(
                n, segment=segment, company=company, exclude=have | set(out["item_id"])
            )
            fill = fill.head(n - len(out)).assign(source="popularity")
            out = pd.concat([out, fill], ignore_index=True)
        return out.reset_index(drop=True)
