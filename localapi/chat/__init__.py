"""A Telegram-like chat page served by the local Bot API server itself: a person
types, presses buttons, shares a location and scans QR codes in the browser,
and the bot under the server sees the same updates a Telegram client sends."""

from .page import ChatPage, Place, QrCode, Visitor
from .webapp import launch_url, sign_init_data

__all__ = ["ChatPage", "Place", "QrCode", "Visitor", "launch_url", "sign_init_data"]
