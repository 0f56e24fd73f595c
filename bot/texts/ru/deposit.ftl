short = ⚠️ <b>{ $company }</b>: бюджет вознаграждений исчерпан. Участнику отказано в награде за { $feature } ({ $needed }): на депозите осталось { $available }. Пока оператор не пополнит депозит (<code>refbot deposit { $code } СУММА</code>), такие награды не начисляются. Напоминаем не чаще раза в час.
feature_review = отзыв
feature_survey = опрос
# An amount in the notice, by the currency of the reward.
amount-points = { $amount ->
        [one] { $amount } балл
        [few] { $amount } балла
       *[many] { $amount } баллов
    }
amount-cashback = { $amount ->
        [one] { $amount } рубль
        [few] { $amount } рубля
        [many] { $amount } рублей
       *[other] { $amount } рубля
    } кешбэка
