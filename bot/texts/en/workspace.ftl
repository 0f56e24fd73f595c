open = Open the workspace
open_browser = Open in a browser
link =
    The workspace: growth, cohorts, segments, churn risk, peers.
    The button below opens it in Telegram; the browser link works for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    } and opens once.
no_public_url = The workspace is not set up: the operator must set PUBLIC_URL (the server's https address).
insights_header = <b>{ $company }</b>: what changed this week
insights_footer = The details are in the workspace.
