"""The referral ledger: points and cashback with a money ledger's guarantees.

Double-entry transfers between accounts, idempotent by key, append-only
postings, no member balance below zero; purchases, invites, vouchers,
discounts, reviews and the partner catalogue built on top of it.
"""
