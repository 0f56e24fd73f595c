header = <b>Offers for you</b>
header_nearby = <b>Offers near you</b>
none = No suitable offers yet. Check back later.
item =
    <b>{ $service }</b> — { $company }
    { $price }
price = Price: { $price } ₽
price_discount = Price: <s>{ $list } ₽</s> { $price } ₽ ({ $percent }% off)
cashback = Cashback { $percent }%
bundle = Together cheaper: “{ $name }” ({ $services }) — { $price } ₽ instead of { $list } ₽
distance = Nearest outlet: { $km } km
reason_similar = Why: members like you also use this.
reason_cross = Why: it goes well with “{ $related }”, which you use.
reason_popular = Why: popular with members.
accept = Interested
decline = Not interested
accepted =
    { $item }

    ✅ Request sent to the partner. They will contact you through the bot; until now the partner knew nothing about you.
declined =
    { $item }

    All right, we will not offer this again for a while.
share_location = Share your location (📎 → Location) to see the offers nearest to you.
reminder = Time for it again? “{ $service }” at { $company }. See your offers: /offers
retention = We miss you! Here is what we picked for you:
reason_upsell = Why: you usually take { $related }.
upsell = You usually take { $usual } for { $usual_price } ₽: { $service } today at about the same price — { $price } ₽ with { $percent }% cashback.
upsell_same = You usually take { $usual } for { $usual_price } ₽: { $service } costs about the same — { $price } ₽.
spend_drop = You have been spending less lately: +{ $percent }% extra cashback on this offer.
retention_bonus = { $company } gives you { $points ->
    [one] { $points } bonus point
   *[other] { $points } bonus points
}, already in /wallet.
