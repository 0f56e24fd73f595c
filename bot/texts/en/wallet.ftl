title =
    <b>Your wallet</b>
    Member code (tell it at the partner's till): <code>{ $code }</code>
empty = No points or cashback yet. You earn them with purchases at partners, inviting friends, reviews and surveys.
balance = <b>{ $company }</b>: { $points ->
        [one] { $points } point
       *[other] { $points } points
    }, cashback { $cashback ->
        [one] { $cashback } rouble
       *[other] { $cashback } roubles
    }
# Appended to the balance line, hence the leading space.
reserved = { "" } (in vouchers: { $points ->
        [one] { $points } point
       *[other] { $points } points
    })
# A line of its own under the balance, indented.
incoming =
    { "" }
      waiting out the return window: { $points ->
        [one] { $points } point
       *[other] { $points } points
    } and { $cashback ->
        [one] { $cashback } rouble
       *[other] { $cashback } roubles
    } of cashback
history =
    { "" }
    <b>Latest entries</b>
entry = { $date } · { $company } · { $what }: { $amount }
spend_at = Spend points: { $company }
offer = { $name } — { $points ->
        [one] { $points } point
       *[other] { $points } points
    }
choose = What would you like to spend points on?
nothing_to_buy = This partner has no services for points yet.
voucher = Voucher <code>{ $code }</code>: { $points ->
        [one] { $points } point
       *[other] { $points } points
    } for “{ $service }”. Show the code to the partner before { $until }. If it is not redeemed, the points come back.
not_enough = Not enough points for this service.
expiring = Reminder: { $points ->
        [one] { $points } point at { $company } expires
       *[other] { $points } points at { $company } expire
    } on { $date }. Spend them in /wallet?
kind-award = award
kind-deposit = top-up
kind-cashback = cashback
kind-purchase = purchase points
kind-invite = friend invited
kind-review = review
kind-survey = survey
kind-spend = voucher
kind-expire = points expired
kind-reverse = correction
# A history entry's amount: $sign is "+" or "-", $amount its size.
amount-points = { $sign }{ $amount ->
        [one] { $amount } point
       *[other] { $amount } points
    }
amount-cashback = { $sign }{ $amount ->
        [one] { $amount } rouble
       *[other] { $amount } roubles
    } of cashback
rules-immediate = • points and cashback for a purchase arrive at once
rules-title =
    { "" }
    <b>How you earn at { $company }</b>
rules-purchase = • a purchase: { $points ->
        [one] { $points } point
       *[other] { $points } points
    } and { $percent }% cashback
# "a 14-day window": a compound adjective, singular for every count.
rules-return_window = • points and cashback for a purchase arrive after the { $days }-day return window
rules-invite = • a friend you invited who makes a purchase: { $points ->
        [one] { $points } point
       *[other] { $points } points
    }
rules-review = • a review of a purchase: { $points ->
        [one] { $points } point
       *[other] { $points } points
    }
rules-survey = • answering a survey: { $points ->
        [one] { $points } point
       *[other] { $points } points
    }
rules-expiry = • points last { $days ->
        [one] { $days } day
       *[other] { $days } days
    } after they are earned
rules-no_expiry = • points do not expire
rules-upsell = • instead of a service you take regularly, a pricier one of the same kind with up to { $max }% cashback, so that it costs you at most { $margin }% more than you usually pay
rules-spend_drop = • when you spent less over the last 7 days than in an average week before: +{ $percent }% cashback on this partner's offers
rules-retention = • when you have not been back for a while: { $points ->
        [one] { $points } bonus point
       *[other] { $points } bonus points
    } with an offer, at most once in { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
rules-retention_min_spend = (for members who have spent at least { $amount } ₽ here)
