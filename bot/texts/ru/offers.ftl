header = <b>Предложения для вас</b>
header_nearby = <b>Предложения рядом с вами</b>
none = Пока нет подходящих предложений. Загляните позже.
item =
    <b>{ $service }</b> — { $company }
    { $price }
price = Цена: { $price } ₽
price_discount = Цена: <s>{ $list } ₽</s> { $price } ₽ (скидка { $percent }%)
cashback = Кешбэк { $percent }%
bundle = Вместе дешевле: «{ $name }» ({ $services }) — { $price } ₽ вместо { $list } ₽
distance = До ближайшей точки: { $km } км
reason_similar = Почему: участники с похожими покупками тоже этим пользуются.
reason_cross = Почему: хорошо сочетается с «{ $related }», которым вы пользуетесь.
reason_popular = Почему: популярно среди участников.
accept = Интересно
decline = Не интересно
accepted =
    { $item }

    ✅ Заявка отправлена партнёру. С вами свяжутся через бота; до этого партнёр не получал о вас никаких сведений.
declined =
    { $item }

    Хорошо, больше не будем это предлагать какое-то время.
share_location = Отправьте геопозицию (📎 → Геопозиция), и мы покажем ближайшие предложения.
reminder = Похоже, пора снова: «{ $service }» в { $company }. Посмотреть предложения: /offers
retention = Мы скучаем! Вот что подобрали для вас:
reason_upsell = Почему: вы обычно берёте «{ $related }».
upsell = Вы обычно берёте «{ $usual }» за { $usual_price } ₽: «{ $service }» сегодня почти по той же цене — { $price } ₽ с кешбэком { $percent }%.
upsell_same = Вы обычно берёте «{ $usual }» за { $usual_price } ₽: «{ $service }» стоит почти столько же — { $price } ₽.
spend_drop = Вы стали реже заходить к партнёрам: к этому предложению дополнительный кешбэк +{ $percent }%.
retention_bonus = { $company } дарит вам { $points ->
    [one] { $points } бонусный балл
    [few] { $points } бонусных балла
   *[many] { $points } бонусных баллов
} — они уже в /wallet.
