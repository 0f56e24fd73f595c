offer =
    <b>{ $service }</b> — { $company }
    We picked this for you. Interested?
delivered = New lead #{ NUMBER($id, useGrouping: 0) } for { $company }: { $service }, member { $code }. All leads: /leads
header = <b>Leads of { $company }</b>
none = No leads yet.
none_at = No leads yet at: { $companies }.
line = #{ NUMBER($id, useGrouping: 0) } { $date }: { $service } — member { $code } ({ $profile }), { $status }
profile_unknown = profile not given
won = Won
lost = Lost
write = Write
status_delivered = new
status_won = won
status_lost = lost
write_prompt = Write one message to the member of lead #{ NUMBER($id, useGrouping: 0) }: the bot relays it under your company's name.
written = Message relayed to the member.
write_later = We will relay the message to the member within seconds.
thread_stopped = The member asked this company not to write to them any more.
from_partner =
    <b>Message from { $company }</b>
    { $text }
reply = Reply
stop = Stop messages
reply_prompt = Write your reply in one message: we pass it to the partner without showing your Telegram.
replied = Reply passed to the partner.
stopped = All right, this company can no longer write to you.
from_member =
    Reply from member { $code } about lead #{ NUMBER($id, useGrouping: 0) }:
    { $text }
