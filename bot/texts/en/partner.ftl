qr_caption =
    QR code of { $company }
    { $link }
stats_header = <b>{ $company }</b>: your numbers so far
stats_members = Members who joined through your QR code: { $members }.
stats_leads = Leads (offers members accepted): { $leads }; paid for that service afterwards: { $converted } — conversion to payment { $conversion }.
stats_money = Paying members: { $payers }, purchases: { $purchases }. Revenue per paying member (ARPPU): { $arppu }. Average check: { $check }.
stats_retention = Retention: of the members who bought in one month, { $retention } bought again in the next.
stats_last_month = Latest: of those who bought in { $month }, { $retention } came back in { $next_month }.
stats_privacy = Numbers under { $floor } are shown as “fewer than { $floor }”, so no one can be singled out.
stats_fewer = fewer than { $floor }
stats_under = under { $percent }%
stats_withheld = not shown (too few people)
stats_nothing_yet = not counted yet (nothing to count from)
stats_rub = { $amount } ₽
stats_chart_title = { $company }
stats_chart_members = members
stats_chart_leads = leads
stats_chart_converted = paid leads
stats_chart_retention = bought again next month, %
