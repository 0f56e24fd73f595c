"""refbot's Telegram adapter (aiogram 3): routers, middlewares, keyboards, texts."""
