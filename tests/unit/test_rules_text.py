from bot.messages.rules import percent, rules_in_words
from bot.texts import texts_for
from referral.ledger.rules import RuleSet


def test_percent_from_basis_points_without_floats():
    assert [percent(bp) for bp in (500, 525, 250, 0, 1)] == ["5", "5.25", "2.5", "0", "0.01"]


def test_rules_read_as_plain_words_in_both_languages():
    rules = RuleSet(purchase_points=10, cashback_bp=250, invite_points=100, points_ttl_days=90)
    ru = rules_in_words(texts_for("ru"), "Зерно & Co", rules)
    en = rules_in_words(texts_for("en"), "Zerno", rules)
    assert "10 баллов и кешбэк 2.5%" in ru and "Зерно &amp; Co" in ru
    assert "100 points" in en and "90 days" in en and "review" not in en
    assert "do not expire" in rules_in_words(texts_for("en"), "Z", RuleSet())
    assert "14-day return window" in en
    instant = rules_in_words(texts_for("en"), "Z", RuleSet(purchase_points=1, return_window_days=0))
    assert "arrive at once" in instant and "return window" not in instant
