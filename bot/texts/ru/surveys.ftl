question =
    <b>{ $title }</b>
    Вопрос { $number } из { $total }

    { $text }
done = Готово
reply_with_text = <i>Ответьте сообщением (до 1000 символов).</i>
pick_one = Выберите хотя бы один вариант.
empty_text = Ответ пустой — напишите хотя бы пару слов.
too_long = Ответ длиннее 1000 символов — сократите, пожалуйста.
thanks = Спасибо, ответы записаны!
thanks_reward = Спасибо, ответы записаны! { $points ->
        [one] Начислен { $points } балл.
        [few] Начислено { $points } балла.
       *[many] Начислено { $points } баллов.
    }
thanks_reward_later = Спасибо, ответы записаны! Бюджет вознаграждений партнёра сейчас исчерпан: { $points ->
        [one] ваш { $points } балл начислится
        [few] ваши { $points } балла начислятся
       *[many] ваши { $points } баллов начислятся
    } автоматически, как только его пополнят.
none_open = Открытых опросов нет.
open_list = Незавершённые опросы — выберите, чтобы продолжить:
recorded = Записано
marketer-progress = Опрос #{ NUMBER($id, useGrouping: 0) }: в очереди { $queued }, отправлено { $sent }, ждут { $pending }, ошибки { $failed }, недоступны { $unreachable }, под вопросом { $in_doubt }, ответили полностью { $answered }
builder-ask_title = Новый опрос. Как он называется?
builder-ask_kind = Какой вопрос добавить?
builder-single = Один вариант
builder-multi = Несколько вариантов
builder-rating = Оценка 1–5
builder-text = Свободный ответ
builder-ask_text = Текст вопроса?
builder-ask_options = Варианты ответа — каждый с новой строки (от 2 до 12).
builder-ask_more = Вопрос добавлен. Ещё один?
builder-add = Добавить вопрос
builder-finish = Дальше
builder-ask_company = Код компании, чьим участникам отправить опрос?
builder-ask_segment = Опрос { $members ->
        [one] получит { $members } участник
        [few] получат { $members } участника
       *[many] получат { $members } участников
    } компании. Её сегменты: { $segments }. Напишите название сегмента, чтобы опросить только его, или нажмите «Всем».
builder-everyone = Всем
builder-ask_reward = Сколько баллов начислить за ответы? (число, 0 — без награды)
builder-ask_when = Когда отправить? «Сейчас» — сразу, даже в тихие часы; дата и время (ГГГГ-ММ-ДД ЧЧ:ММ, { $zone }) — в это время, но не раньше конца тихих часов.
builder-now = Сейчас
builder-confirm = Так участники увидят опрос. Его { $members ->
        [one] получит { $members } участник
        [few] получат { $members } участника
       *[many] получат { $members } участников
    }. Отправить?
builder-yes = Отправить
builder-no = Отмена
builder-cancelled = Опрос отменён.
builder-refused = Не получилось: { $reason }
results-header = <b>{ $title }</b>: { $n ->
        [one] ответил { $n } участник
        [few] ответили { $n } участника
       *[many] ответили { $n } участников
    }
results-mean = Средняя оценка: { $mean }
