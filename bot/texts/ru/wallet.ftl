title =
    <b>Ваш кошелёк</b>
    Код участника (назовите его на кассе партнёра): <code>{ $code }</code>
empty = Пока ни баллов, ни кешбэка. Они начисляются за покупки у партнёров, приглашения друзей, отзывы и опросы.
balance = <b>{ $company }</b>: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    }, кешбэк { $cashback ->
        [one] { $cashback } рубль
        [few] { $cashback } рубля
        [many] { $cashback } рублей
       *[other] { $cashback } рубля
    }
# Appended to the balance line, hence the leading space.
reserved = { "" } (в ваучерах: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    })
# A line of its own under the balance, indented.
incoming =
    { "" }
      ожидают окончания срока возврата: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    } и { $cashback ->
        [one] { $cashback } рубль
        [few] { $cashback } рубля
        [many] { $cashback } рублей
       *[other] { $cashback } рубля
    } кешбэка
history =
    { "" }
    <b>Последние операции</b>
entry = { $date } · { $company } · { $what }: { $amount }
spend_at = Потратить баллы: { $company }
offer = { $name } — { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    }
choose = На что потратить баллы?
nothing_to_buy = У этого партнёра пока нет услуг, доступных за баллы.
voucher = Ваучер <code>{ $code }</code>: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    } за «{ $service }». Покажите код партнёру до { $until }. Если его не погасят, баллы вернутся.
not_enough = Баллов не хватает на эту услугу.
expiring = Напоминание: { $points ->
        [one] { $points } балл у партнёра { $company } сгорит
        [few] { $points } балла у партнёра { $company } сгорят
       *[many] { $points } баллов у партнёра { $company } сгорят
    } { $date }. Потратите их в /wallet?
kind-award = начисление
kind-deposit = пополнение
kind-cashback = кешбэк
kind-purchase = баллы за покупку
kind-invite = приглашение друга
kind-review = отзыв
kind-survey = опрос
kind-spend = ваучер
kind-expire = сгорание баллов
kind-reverse = исправление
# A history entry's amount: $sign is "+" or "-", $amount its size.
amount-points = { $sign }{ $amount ->
        [one] { $amount } балл
        [few] { $amount } балла
       *[many] { $amount } баллов
    }
amount-cashback = { $sign }{ $amount ->
        [one] { $amount } рубль
        [few] { $amount } рубля
        [many] { $amount } рублей
       *[other] { $amount } рубля
    } кешбэка
rules-immediate = • баллы и кешбэк за покупку приходят сразу
rules-title =
    { "" }
    <b>Как копить в «{ $company }»</b>
rules-purchase = • покупка: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    } и кешбэк { $percent }%
rules-return_window = • баллы и кешбэк за покупку приходят после { $days ->
        [one] { $days } дня
       *[other] { $days } дней
    } на возврат
rules-invite = • приглашённый друг, совершивший покупку: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    }
rules-review = • отзыв о покупке: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    }
rules-survey = • ответы на опрос: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    }
rules-expiry = • баллы действуют { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    } после начисления
rules-no_expiry = • баллы не сгорают
rules-upsell = • вместо услуги, которую вы берёте регулярно, — более дорогая того же вида с кешбэком до { $max }%, чтобы она обошлась вам не больше чем на { $margin }% дороже привычного
rules-spend_drop = • если за последние 7 дней вы потратили меньше, чем в среднем за неделю до этого: +{ $percent }% кешбэка к предложениям партнёра
rules-retention = • если вы давно не заходили: { $points ->
        [one] { $points } бонусный балл
        [few] { $points } бонусных балла
       *[many] { $points } бонусных баллов
    } к предложению, не чаще раза в { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    }
rules-retention_min_spend = (тем, кто потратил здесь от { $amount } ₽)
