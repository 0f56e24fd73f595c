nothing = We store nothing about you.
not_given = —
report =
    <b>What we store about you</b>
    Pseudonym: <code>{ $pseudonym }</code>
    Partner you joined through: { $company }
    Consent version: { $version }, accepted { $accepted }
    Age band: { $age }
    Income: { $income }
    Region: { $region }
    Language: { $language }

    We never store your name, phone or e-mail. To erase everything: /forget
forget_confirm = Withdraw consent and erase your data? Your points and cashback will be lost.
forget_yes = Yes, erase
forget_no = No
forgotten = Consent withdrawn and your data erased. To come back, scan a partner's QR code.
kept = All right, nothing was erased.
