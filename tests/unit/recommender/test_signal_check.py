import numpy as np
import pandas as pd
import pytest

from recommender.research.signal_check import shuffle_members, summary


@pytest.fixture
def baskets() -> pd.DataFrame:
    """40 members, 1-5 baskets each of 1-4 items, on only 6 dates: members share dates,
    so a plain permutation would often give one member two baskets on one date."""
    rng = np.random.default_rng(7)
    rows = []
    for m in range(40):
        for day in rng.choice(6, size=1 + m % 5, replace=False):
            for item in rng.choice(20, size=rng.integers(1, 5), replace=False):
                rows.append((f"m{m}", f"i{item}", 86_400 * int(day)))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def events_per_member(frame: pd.DataFrame) -> pd.Series:
    return frame.drop_duplicates(["user_id", "timestamp"])["user_id"].value_counts().sort_index()


def test_every_basket_goes_whole_to_one_member(baskets):
    shuffled = shuffle_members(baskets, seed=0)
    owners = shuffled["user_id"].groupby([baskets["user_id"], baskets["timestamp"]]).nunique()
    assert (owners == 1).all()


def test_items_and_dates_are_untouched(baskets):
    shuffled = shuffle_members(baskets, seed=0)
    pd.testing.assert_frame_equal(
        shuffled[["item_id", "timestamp"]], baskets[["item_id", "timestamp"]]
    )
    assert shuffled["item_id"].value_counts().equals(baskets["item_id"].value_counts())


@pytest.mark.parametrize("seed", range(5))
def test_each_member_keeps_their_number_of_baskets(baskets, seed):
    # fails if two baskets of one date land on one member and merge into one
    shuffled = shuffle_members(baskets, seed)
    pd.testing.assert_series_equal(events_per_member(shuffled), events_per_member(baskets))


def test_most_baskets_change_owner(baskets):
    shuffled = shuffle_members(baskets, seed=0)
    events = pd.DataFrame({"was": baskets["user_id"], "now": shuffled["user_id"]})
    events["t"] = baskets["timestamp"]
    events = events.drop_duplicates(["was", "t"])
    assert (events["was"] != events["now"]).mean() > 0.8


def test_the_same_seed_gives_the_same_owners_and_another_seed_others(baskets):
    first, again = shuffle_members(baskets, 3), shuffle_members(baskets, 3)
    pd.testing.assert_frame_equal(first, again)
    assert not shuffle_members(baskets, 4)["user_id"].equals(first["user_id"])


def test_summary_counts_the_shuffles_that_reach_the_real_value():
    table = pd.DataFrame({"knn %": [2.0, 1.0, 2.0, 3.0, 0.5]})
    assert summary(table, "knn %") == (
        "knn %: real +2.0; shuffled min +0.5, median +1.5, max +3.0; "
        "2 of 4 shuffles reach the real value (p = 0.50)"
    )
