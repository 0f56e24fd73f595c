invalid_link = This link is not valid. Scan the partner's QR code again or ask them for a new link.
scan_qr = Hello! To join, scan the QR code of one of our partners.
welcome_back = Welcome back! See /help for the commands.
consent =
    <b>Consent to data processing</b> (version { $version })

    We will keep an anonymous profile: a pseudonym and, if you wish, your age band, income band and region. We never store your name, phone or e-mail. The profile lets us pick partners' personal offers for you and credit points and cashback.

    You can withdraw consent and have your data erased at any time with /forget.

    Do you agree?
accept = I agree
decline = I decline
accepted = Thank you! Your consent is recorded. A few optional questions follow; skip any of them.
declined = All right, we stored nothing about you. If you change your mind, scan the partner's QR code again.
