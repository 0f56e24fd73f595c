"""The refbot domain: companies, members, consent, roles, ledger, referrals, surveys.

Nothing here imports aiogram; the bot package renders what these services return.
"""
