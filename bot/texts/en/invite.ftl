link =
    Your personal invite link:
    { $link }

    Your friend gets the invitation, and you get points once they consent and make a first purchase at a partner (after the return window).
    { $completed ->
        [one] { $completed } invite completed
       *[other] { $completed } invites completed
    }, { $waiting } waiting.
phone_hint = This partner rewards invites after a phone check. Press the button below: we keep only a keyed fingerprint of the number, never the number.
share_phone = Share my number
phone_ok = Thank you, your number is checked. We do not store the number itself.
phone_not_yours = Please share your own number, with the button below the text field.
