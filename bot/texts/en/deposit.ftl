short = ⚠️ <b>{ $company }</b>: the reward budget is exhausted. A member's reward for { $feature } ({ $needed }) was refused: the deposit holds { $available }. Members get no such rewards until the operator tops it up (<code>refbot deposit { $code } AMOUNT</code>). We remind at most once an hour.
feature_review = a review
feature_survey = a survey
# An amount in the notice, by the currency of the reward.
amount-points = { $amount ->
        [one] { $amount } point
       *[other] { $amount } points
    }
amount-cashback = { $amount ->
        [one] { $amount } rouble
       *[other] { $amount } roubles
    } of cashback
