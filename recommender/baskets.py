"""Bundles: pairs of services bought together more often than chance.

A basket is one member's items at one timestamp (``basket_col`` overrides it).
For items a and b over N baskets:

* support(a, b)     = baskets with both / N
* confidence(a -> b) = baskets with both / baskets with a
* lift(a, b)        = support(a, b) / (support(a) * support(b)); > 1 means more than chance
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp


def basket_matrix(
    frame: pd.DataFrame, basket_col: str | None = None
) -> tuple[sp.csr_matrix, np.ndarray]:
    if basket_col is None:
        keys = frame["user_id"].astype(str) + "\x00" + frame["timestamp"].astype(str)
    else:
        keys = frame[basket_col].astype(str)
    b_codes, _ = pd.factorize(keys)
    i_codes, items = pd.factorize(frame["item_id"].astype(str))
    m = sp.csr_matrix(
        (np.ones(len(frame)), (b_codes, i_codes)),
        shape=(b_codes.max() + 1 if len(frame) else 0, len(items)),
    )
    m.data[:] = 1.0  # duplicates in a basket count once
    return m, np.asarray(items, dtype=object)


def association_rules(
    frame: pd.DataFrame,
    min_support: float = 0.001,
    min_confidence: float = 0.0,
    min_lift: float = 1.0,
    basket_col: str | None = None,
) -> pd.DataFrame:
    """Rules a -> b between single items.

    Columns: antecedent, consequent, count, support, confidence, lift.
    """
    m, items = basket_matrix(frame, basket_col)
    n = m.shape[0]
    cols = ["antecedent", "consequent", "count", "support", "confidence", "lift"]
    if n == 0:
        return pd.DataFrame(columns=cols)
    m = sp.csr_matrix((np.ones_like(m.data), m.indices, m.indptr), shape=m.shape)
    single = np.asarray(m.sum(axis=0)).ravel()
    co = sp.coo_matrix(m.T @ m)
    a, b, c = co.row, co.col, co.data
    keep = (a != b) & (c / n >= min_support)
    a, b, c = a[keep], b[keep], c[keep]
    support = c / n
    confidence = c / single[a]
    lift = support / ((single[a] / n) * (single[b] / n))
    ok = (confidence >= min_confidence) & (lift >= min_lift)
    out = pd.DataFrame(
        {
            "antecedent": items[a[ok]],
            "consequent": items[b[ok]],
            "count": c[ok].astype(int),
            "support": support[ok],
            "confidence": confidence[ok],
            "lift": lift[ok],
        }
    )
    return out.sort_values(
        ["lift", "support", "antecedent", "consequent"], ascending=[False, False, True, True]
    ).reset_index(drop=True)


def bundles(
    rules: pd.DataFrame, prices: Mapping, discount: float = 0.1, min_lift: float = 1.0
) -> pd.DataFrame:
    """Unordered pairs from the rules, priced: items, support, lift, price, bundle_price.

    ``prices`` maps item_id -> price (minor units); pairs with an unpriced item are
    skipped; ``bundle_price`` = round(price * (1 - discount)).
    """
    if not 0 <= discount < 1:
        raise ValueError("discount must be in [0, 1)")
    seen, rows = set(), []
    for r in rules[rules["lift"] >= min_lift].itertuples(index=False):
        pair = tuple(sorted((r.antecedent, r.consequent)))
        if pair in seen or any(p not in prices for p in pair):
            continue
        seen.add(pair)
        price = sum(prices[p] for p in pair)
        rows.append(
            {
                "items": pair,
                "support": r.support,
                "lift": r.lift,
                "price": price,
                "bundle_price": int(round(price * (1 - discount))),
            }
        )
    return pd.DataFrame(rows, columns=["items", "support", "lift", "price", "bundle_price"])
