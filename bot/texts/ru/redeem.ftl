usage = Укажите код: /redeem КОД
done = Ваучер <code>{ $code }</code> погашен: { $points ->
        [one] { $points } балл
        [few] { $points } балла
       *[many] { $points } баллов
    } за «{ $service }» (участник { $member }).
unknown = Такого ваучера нет среди ваучеров вашей компании.
already_redeemed = Этот ваучер уже погашен.
expired = Срок ваучера истёк; баллы вернулись участнику.
too_many_attempts = Слишком много неверных кодов. Попробуйте через час.
