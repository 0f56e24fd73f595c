"""A local Telegram Bot API server for end-to-end tests and the offline demo."""

from .control import ControlClient
from .control_bodies import ControlRefused
from .delivery import WebhookResponse
from .faults import ApiError
from .recording import Call, CallTimeout
from .server import LocalBotAPI
from .updates import FakeUser

__all__ = [
    "ApiError",
    "Call",
    "CallTimeout",
    "ControlClient",
    "ControlRefused",
    "FakeUser",
    "LocalBotAPI",
    "WebhookResponse",
]
