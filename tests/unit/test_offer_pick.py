"""The lean serving path picks exactly what the recommender's pandas functions
(resolve_conflicts, then apply_relevance_threshold) pick from the same candidates."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import (
    HybridRecommender,
    LoadedModel,
    apply_relevance_threshold,
    resolve_conflicts,
)
from recommender.artefacts import PopularityFallback
from referral.offers.candidates import MemberContext, ModelView, pick, rank
from referral.offers.shared import Catalogue, ServiceCard

ITEMS = [str(i) for i in range(1, 13)]
scores = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 1.0])


def card(item: str, category: int, company: int) -> ServiceCard:
    return ServiceCard(
        int(item), company, f"C{company}", f"S{item}", f"cat{category}", 100, 100, 0, 0, True
    )


@settings(max_examples=150, deadline=None)
@given(
    raw=st.lists(st.tuples(st.sampled_from(ITEMS), scores), max_size=20),
    categories=st.lists(st.integers(0, 3), min_size=len(ITEMS), max_size=len(ITEMS)),
    companies=st.lists(st.integers(1, 3), min_size=len(ITEMS), max_size=len(ITEMS)),
    economics=st.dictionaries(
        st.sampled_from(ITEMS), st.tuples(scores, st.sampled_from([0.0, 50.0, 120.0])), max_size=8
    ),
    floors=st.dictionaries(st.integers(1, 3), scores, max_size=3),
    bought=st.sets(st.sampled_from(ITEMS), max_size=3),
    n=st.integers(1, 4),
)
def test_pick_matches_the_recommenders_resolution(
    raw, categories, companies, economics, floors, bought, n
):
    cards = {
        item: card(item, cat, company)
        for item, cat, company in zip(ITEMS, categories, companies, strict=True)
        if item != "12"  # one service is not in the active catalogue
    }
    catalogue = Catalogue(None, {c.id: c for c in cards.values()}, cards, floors, {}, {}, {})
    eco = pd.DataFrame(
        [
            (item, cards[item].company_id if item in cards else 1, 1, 1, conv, arppu)
            for item, (conv, arppu) in economics.items()
        ],
        columns=["item_id", "company_id", "leads", "payers", "conversion", "arppu"],
    )
    view = ModelView.of(LoadedModel(PopularityFallback([], []), True, "", {}), eco)
    ctx = MemberContext("p", bought, set())
    rows = [(item, score, "popular", None) for item, score in raw]

    got = [c.service_id for c in pick(rows, view, catalogue, ctx, n)]

    kept = [
        ("p", item, score)
        for item, score in raw
        if item in cards and item not in bought and score > 0
    ]
    frame = pd.DataFrame(kept, columns=["user_id", "item_id", "score"]).drop_duplicates("item_id")
    frame["group"] = frame["item_id"].map({i: c.category for i, c in cards.items()})
    resolved = resolve_conflicts(frame, eco, keep="best")
    company = {i: c.company_id for i, c in cards.items()}
    expected = apply_relevance_threshold(resolved, company, floors)["item_id"].head(n)
    assert got == [int(i) for i in expected]


class _AnotherKind:
    """A model of neither known kind: rank() asks it, member by member."""

    def recommend(self, user_id, n, seen=None):  # type: ignore[no-untyped-def]
        return pd.DataFrame()  # nothing to recommend: not even the columns


def test_an_empty_catalogue_ranks_nothing_and_raises_nothing():
    empty = Catalogue(None, {}, {}, {}, {}, {}, {})
    purchases = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "item_id": ["1", "2", "1", "3"],
            "timestamp": [1, 2, 3, 4],
        }
    )
    models = [
        PopularityFallback([], []),
        PopularityFallback(["1", "2"], [1.0, 0.5]),
        HybridRecommender().fit(purchases),
        _AnotherKind(),
    ]
    no_economics = pd.DataFrame(columns=["item_id", "conversion", "arppu"])
    for model in models:
        for economics in (None, no_economics):
            view = ModelView.of(LoadedModel(model, False, "", {}), economics)  # type: ignore[arg-type]
            for ctx in (MemberContext("a", {"1"}, set()), MemberContext("new", set(), set())):
                assert rank(view, empty, [("1", 1.0)], ctx, 3, now=10.0) == []


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.dictionaries(
        st.tuples(st.sampled_from(ITEMS), st.sampled_from(ITEMS)),
        st.sampled_from([0.5, 1.0, 1.0, 2.0]),
        max_size=25,
    ),
    bought=st.sets(st.sampled_from(ITEMS), min_size=1, max_size=4),
)
def test_a_cross_link_offer_names_the_bought_service_it_is_linked_from_most(pairs, bought):
    links: dict[str, dict[str, float]] = {}
    for (a, b), weight in pairs.items():
        if a != b:  # both ways, summed, as referral.offers.shared builds them
            links.setdefault(a, {})[b] = links.get(a, {}).get(b, 0.0) + weight
            links.setdefault(b, {})[a] = links.get(b, {}).get(a, 0.0) + weight
    cards = {item: card(item, int(item), 1) for item in ITEMS}
    catalogue = Catalogue(None, {c.id: c for c in cards.values()}, cards, {}, {}, links, {})
    view = ModelView.of(LoadedModel(PopularityFallback([], []), True, "", {}), None)
    ctx = MemberContext("p", bought, set())
    for c in rank(view, catalogue, [], ctx, 12):
        weights = {b: links.get(b, {}).get(str(c.service_id), 0.0) for b in bought}
        best = max(weights, key=lambda b: (weights[b], b))  # the strongest, then the larger id
        assert c.reason == "cross" and str(c.related_service_id) == best
