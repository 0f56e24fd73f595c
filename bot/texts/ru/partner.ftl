qr_caption =
    QR-код компании { $company }
    { $link }
stats_header = <b>{ $company }</b>: ваши показатели
stats_members = Участников пришло по вашему QR-коду: { $members }.
stats_leads = Заявок (принятых предложений): { $leads }; оплатили эту услугу после заявки: { $converted } — конверсия в оплату { $conversion }.
stats_money = Платящих участников: { $payers }, покупок: { $purchases }. Выручка на платящего участника (ARPPU): { $arppu }. Средний чек: { $check }.
stats_retention = Удержание: из купивших в одном месяце снова купили в следующем { $retention }.
stats_last_month = Последний месяц: из купивших в { $month } вернулись в { $next_month } { $retention }.
stats_privacy = Числа меньше { $floor } показаны как «меньше { $floor }», чтобы никого нельзя было узнать.
stats_fewer = меньше { $floor }
stats_under = менее { $percent }%
stats_withheld = не показано (слишком мало людей)
stats_nothing_yet = пока не считается (не из чего)
stats_rub = { $amount } ₽
stats_chart_title = { $company }
stats_chart_members = участники
stats_chart_leads = заявки
stats_chart_converted = оплаченные заявки
stats_chart_retention = купили снова в следующем месяце, %
