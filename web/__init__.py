"""The HTTP adapter: the CRM API, webhooks in and out, the workspace Mini App.

A sibling of the Telegram adapter (bot/) over the same domain services; it
never imports bot/.
"""
