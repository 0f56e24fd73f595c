"""`refbot demo`: the whole product offline, on a seeded partner network.

The bot runs for real (migrations, dispatcher, long polling) against the local
Bot API server on 127.0.0.1 instead of Telegram. By default a visitor chats
with it from a Telegram-like page in the browser (live.py); `--script`
prints a scripted member's journey as a transcript instead (script.py).

Nothing is imported here: `refbot demo` must reach world.py, which starts the
first start's build, before aiogram and the services load.
"""
