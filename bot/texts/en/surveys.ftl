question =
    <b>{ $title }</b>
    Question { $number } of { $total }

    { $text }
done = Done
reply_with_text = <i>Reply with a message (up to 1000 characters).</i>
pick_one = Pick at least one option.
empty_text = The answer is empty: write a few words.
too_long = The answer is longer than 1000 characters: please shorten it.
thanks = Thank you, your answers are recorded!
thanks_reward = Thank you, your answers are recorded! { $points ->
        [one] { $points } point credited.
       *[other] { $points } points credited.
    }
thanks_reward_later = Thank you, your answers are recorded! The partner's reward budget is exhausted right now: { $points ->
        [one] your { $points } point will be
       *[other] your { $points } points will be
    } credited automatically once it is topped up.
none_open = No open surveys.
open_list = Unfinished surveys: pick one to continue:
recorded = Recorded
marketer-progress = Survey #{ NUMBER($id, useGrouping: 0) }: queued { $queued }, sent { $sent }, waiting { $pending }, failed { $failed }, unreachable { $unreachable }, in doubt { $in_doubt }, answered in full { $answered }
builder-ask_title = A new survey. What is its title?
builder-ask_kind = Which question to add?
builder-single = Single choice
builder-multi = Multiple choice
builder-rating = Rating 1–5
builder-text = Free text
builder-ask_text = The question's text?
builder-ask_options = The options, one per line (2 to 12).
builder-ask_more = Question added. Another one?
builder-add = Add a question
builder-finish = Next
builder-ask_company = The code of the company whose members get the survey?
builder-ask_segment = It reaches { $members ->
        [one] { $members } member
       *[other] { $members } members
    } of the company. Its segments: { $segments }. Write a segment's name to survey only its members, or press Everyone.
builder-everyone = Everyone
builder-ask_reward = Points for completing it? (a number, 0 for none)
builder-ask_when = When to send? Now sends at once, even in quiet hours; a date and time (YYYY-MM-DD HH:MM, { $zone }) waits for it and for the end of quiet hours.
builder-now = Now
builder-confirm = This is how members will see the survey. It reaches { $members ->
        [one] { $members } member
       *[other] { $members } members
    }. Send it?
builder-yes = Send
builder-no = Cancel
builder-cancelled = The survey is cancelled.
builder-refused = Refused: { $reason }
results-header = <b>{ $title }</b>: { $n ->
        [one] { $n } member answered
       *[other] { $n } members answered
    }
results-mean = Mean rating: { $mean }
