import logging

import numpy as np
import pandas as pd
import pytest

from recommender.artefacts import load_model, save_model
from recommender.baskets import association_rules, bundles
from recommender.churn import ChurnModel
from recommender.coldstart import CrossServiceColdStart, load_cross_services
from recommender.errors import DataFormatError
from recommender.features import member_features
from recommender.hybrid import HybridRecommender
from recommender.offers import apply_relevance_threshold, resolve_conflicts, service_economics
from recommender.popularity import PopularityRecommender
from recommender.reminders import detect_periods, due_reminders
from recommender.segments import Segmenter

DAY = 86_400


def test_cold_start_follows_operator_links_then_popularity(tmp_path, purchases):
    p = tmp_path / "cross.csv"
    p.write_text(
        "company_a,service_a,company_b,service_b,weight\nX,a,Y,x,0.9\nX,a,Y,y,0.2\nY,z,X,a,0.5\n"
    )
    cold = CrossServiceColdStart().fit(
        load_cross_services(p), PopularityRecommender().fit(purchases)
    )
    recs = cold.recommend(["a"], n=4)
    assert recs.item_id.tolist()[:3] == ["x", "z", "y"]
    assert recs.source.tolist() == ["cross-service"] * 3 + ["popularity"]


def test_cross_service_file_errors_carry_line(tmp_path):
    p = tmp_path / "cross.csv"
    p.write_text("company_a,service_a,company_b,service_b,weight\nX,a,Y,x,-1\n")
    with pytest.raises(DataFormatError) as err:
        load_cross_services(p)
    assert err.value.line == 2


def test_conflict_resolution_prefers_higher_expected_value():
    leads = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(20)],
            "item_id": ["gymA"] * 10 + ["gymB"] * 10,
            "company_id": ["A"] * 10 + ["B"] * 10,
            "paid": [True] * 2 + [False] * 8 + [True] * 6 + [False] * 4,
            "amount": [1000.0] * 2 + [0] * 8 + [500.0] * 6 + [0] * 4,
        }
    )
    eco = service_economics(leads, prior_leads=0)
    assert eco.set_index("item_id").loc["gymB", "conversion"] == pytest.approx(0.6)
    assert eco.set_index("item_id").loc["gymA", "arppu"] == pytest.approx(1000.0)
    cands = pd.DataFrame(
        {
            "user_id": ["m", "m"],
            "item_id": ["gymA", "gymB"],
            "score": [0.9, 0.8],
            "group": ["gym", "gym"],
        }
    )
    # EV: A = 0.9 * 0.2 * 1000 = 180; B = 0.8 * 0.6 * 500 = 240
    best = resolve_conflicts(cands, eco)
    assert best.item_id.tolist() == ["gymB"]
    assert best.expected_value.iloc[0] == pytest.approx(240.0)
    both = resolve_conflicts(cands, eco, keep="all")
    assert both.item_id.tolist() == ["gymB", "gymA"]


def test_relevance_threshold_is_per_company():
    recs = pd.DataFrame(
        {"user_id": ["m"] * 3, "item_id": ["a", "b", "x"], "score": [0.3, 0.6, 0.3]}
    )
    out = apply_relevance_threshold(recs, {"a": "X", "b": "X", "x": "Y"}, {"X": 0.5}, default=0.1)
    assert sorted(out.item_id) == ["b", "x"]


def test_bundle_lift_by_hand():
    baskets = [["bread", "butter"], ["bread", "butter"], ["bread"], ["milk"]]
    f = pd.DataFrame(
        [(str(b), i) for b, items in enumerate(baskets) for i in items],
        columns=["basket", "item_id"],
    )
    rules = association_rules(f, min_support=0, min_lift=0, basket_col="basket")
    r = rules[(rules.antecedent == "butter") & (rules.consequent == "bread")].iloc[0]
    # support 2/4, confidence 2/2, lift 0.5 / (0.5 * 0.75)
    assert r.support == pytest.approx(0.5)
    assert r.confidence == pytest.approx(1.0)
    assert r.lift == pytest.approx(0.5 / (0.5 * 0.75))
    b = bundles(rules, {"bread": 100, "butter": 200}, discount=0.1)
    assert b["items"].tolist() == [("bread", "butter")]
    assert b.bundle_price.iloc[0] == 270


def blobs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for _g, (freq, amount, rec, breadth) in enumerate([(20, 5000, 2, 15), (1, 300, 200, 1)]):
        for _m in range(n):
            rows.append(
                {
                    "frequency": freq * rng.uniform(0.9, 1.1),
                    "avg_amount": amount * rng.uniform(0.9, 1.1),
                    "recency_days": rec * rng.uniform(0.9, 1.1),
                    "breadth": breadth * rng.uniform(0.9, 1.1),
                }
            )
    return pd.DataFrame(rows, index=[f"m{i}" for i in range(2 * n)])


def test_segments_choose_k_by_silhouette_on_separable_blobs():
    seg = Segmenter(k_range=range(2, 6), random_state=0).fit(blobs())
    assert seg.k_ == 2
    assert seg.silhouettes_[2] == max(seg.silhouettes_.values())
    names = set(seg.profiles_["name"])
    assert any("frequent" in n for n in names) and any("occasional" in n for n in names)
    assert seg.profiles_["size"].tolist() == [40, 40]


def churn_history(n=120, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n):
        falling = m % 2 == 0
        for d in range(0, 360, 7):
            if falling and d > rng.integers(150, 330):
                continue
            rows.append((f"m{m}", "s", d * DAY + int(rng.integers(0, DAY)), 100.0 + m))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "amount"])


def test_churn_gives_calibrated_probabilities_and_ranks_by_value():
    hist = churn_history()
    model = ChurnModel(window_days=60, random_state=0)
    report = model.evaluate(hist)
    assert 0.0 <= report.f1 <= 1.0 and report.roc_auc > 0.5
    model.fit(hist)
    feats = member_features(hist)
    feats["events_last"], feats["events_before"] = 5.0, 5.0
    p = model.predict_proba(feats)
    assert ((p >= 0) & (p <= 1)).all()
    risky = model.at_risk(hist, min_risk=0.0)
    assert list(risky.priority) == sorted(risky.priority, reverse=True)


def test_reminders_detect_a_regular_period_and_respect_weekly_cap():
    rows = [("m", "coffee", d * DAY) for d in (0, 10, 20, 30)]
    rows += [("m", "tea", d * DAY) for d in (0, 12, 24, 36)]
    rows += [("m", "cake", d * DAY) for d in (0, 2, 30, 31)]  # irregular
    f = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    periods = detect_periods(f)
    assert set(periods.item_id) == {"coffee", "tea"}
    coffee = periods.set_index("item_id").loc["coffee"]
    assert coffee.period_days == 10 and coffee.next_due == 40 * DAY
    due = due_reminders(periods, now=40 * DAY)
    assert len(due) == 1
    assert due_reminders(periods, now=40 * DAY, last_sent={"m": 36 * DAY}).empty


def test_artefact_round_trip_and_corrupt_file_falls_back(tmp_path, purchases, caplog):
    model = HybridRecommender(item_k=5, user_k=5).fit(purchases)
    save_model(model, tmp_path, {"trained_on": "fixture"})
    loaded = load_model(tmp_path)
    assert not loaded.fallback and loaded.meta["metadata"]["trained_on"] == "fixture"
    assert loaded.model.recommend("m0", n=1).item_id.tolist() == ["c"]
    (tmp_path / "model.pkl").write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        broken = load_model(tmp_path)
    assert broken.fallback and "checksum" in broken.reason
    assert "popularity" in caplog.text
    recs = broken.model.recommend("m0", n=2, seen={"m0": {"a"}})
    assert len(recs) == 2 and "a" not in set(recs.item_id)


def test_missing_artefact_falls_back_without_crash(tmp_path):
    loaded = load_model(tmp_path / "nothing")
    assert loaded.fallback
    assert loaded.model.recommend("m", n=3).empty
