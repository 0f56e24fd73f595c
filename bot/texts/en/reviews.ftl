choose = Which purchase would you like to rate?
nothing = No recent purchases without a review.
rate = Rate it from 1 to 5. Then you may add a text in one message.
thanks = Thank you for the review ({ $stars }★).
thanks_points = Thank you for the review ({ $stars }★)! { $points ->
        [one] { $points } point added.
       *[other] { $points } points added.
    }
refused = This review was already left, or the purchase is not available.
text_saved = The review text is saved.
ratings = <b>Service ratings</b>
rating_line = { $service }: { $average } ★ ({ $count ->
        [one] { $count } review
       *[other] { $count } reviews
    })
no_ratings = No reviews yet.
thanks_no_budget = Thank you for the review ({ $stars }★)! It is saved. The partner's reward budget is exhausted right now; we have told the partner, and the points for this review will be credited once the budget is topped up.
