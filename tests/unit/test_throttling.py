from bot.middlewares.throttling import ThrottlingMiddleware


def test_flood_is_dropped_with_one_warning_then_recovers():
    throttle = ThrottlingMiddleware(rate=1.0, burst=3)
    results = [throttle.allow(1, now=0.0) for _ in range(6)]
    assert [allowed for allowed, _ in results] == [True, True, True, False, False, False]
    assert [warn for _, warn in results] == [False, False, False, True, False, False]
    assert throttle.allow(2, now=0.0) == (True, False)  # other users are unaffected
    assert throttle.allow(1, now=2.0)[0] is True
