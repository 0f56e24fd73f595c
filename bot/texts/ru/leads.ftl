offer =
    <b>{ $service }</b> — { $company }
    Мы подобрали это для вас. Интересно?
delivered = Новая заявка #{ NUMBER($id, useGrouping: 0) } для { $company }: { $service }, участник { $code }. Все заявки: /leads
header = <b>Заявки { $company }</b>
none = Заявок пока нет.
none_at = Пока без заявок: { $companies }.
line = #{ NUMBER($id, useGrouping: 0) } { $date }: { $service } — участник { $code } ({ $profile }), { $status }
profile_unknown = профиль не указан
won = Сделка
lost = Отказ
write = Написать
status_delivered = новая
status_won = сделка
status_lost = отказ
write_prompt = Напишите одно сообщение участнику по заявке #{ NUMBER($id, useGrouping: 0) }: бот передаст его от имени вашей компании.
written = Сообщение передано участнику.
write_later = Сообщение передадим участнику в ближайшие секунды.
thread_stopped = Участник попросил эту компанию больше ему не писать.
from_partner =
    <b>Сообщение от { $company }</b>
    { $text }
reply = Ответить
stop = Больше не писать
reply_prompt = Напишите ответ одним сообщением: мы передадим его партнёру, не показывая ваш Telegram.
replied = Ответ передан партнёру.
stopped = Хорошо, эта компания больше не сможет вам писать.
from_member =
    Ответ участника { $code } по заявке #{ NUMBER($id, useGrouping: 0) }:
    { $text }
