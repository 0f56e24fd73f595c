usage = Give the code: /redeem CODE
done = Voucher <code>{ $code }</code> redeemed: { $points ->
        [one] { $points } point
       *[other] { $points } points
    } for “{ $service }” (member { $member }).
unknown = No such voucher among your company's vouchers.
already_redeemed = This voucher was already redeemed.
expired = This voucher expired; the points went back to the member.
too_many_attempts = Too many wrong codes. Try again in an hour.
