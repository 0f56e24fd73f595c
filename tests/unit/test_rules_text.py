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


def test_the_offer_incentives_a_partner_switched_on_read_as_words():
    rules = RuleSet(
        upsell_margin_bp=500,
        upsell_cashback_max_bp=2000,
        spend_drop_bp=300,
        retention_points=150,
        retention_period_days=30,
        retention_min_spend_minor=150_000,
    )
    en = rules_in_words(texts_for("en"), "Zerno", rules)
    ru = rules_in_words(texts_for("ru"), "Зерно", rules)
    assert "up to 20% cashback" in en and "at most 5% more than you usually pay" in en
    assert "кешбэком до 20%" in ru and "не больше чем на 5% дороже" in ru
    assert "+3% cashback on this partner's offers" in en and "+3% кешбэка" in ru
    assert "150 bonus points with an offer, at most once in 30 days" in en
    assert "150 бонусных баллов к предложению, не чаще раза в 30 дней" in ru
    assert "at least 1,500 ₽ here" in en and "от 1 500 ₽" in ru.replace("\xa0", " ")


def test_incentives_left_off_are_not_mentioned():
    en = rules_in_words(texts_for("en"), "Z", RuleSet(retention_points=5))
    assert "bonus points" in en and "spent at least" not in en
    assert "usually pay" not in en and "last 7 days" not in en
