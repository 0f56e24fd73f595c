"""The partners' CRM secrets sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256,
from ``cryptography``) under a key kept apart from the database.

A connection's ``settings`` are stored as JSON whose secret fields (the
Bitrix24 incoming-webhook URL, which holds its key, the Bitrix24 application
token, the amoCRM token) sit inside one Fernet token under ``sealed``; the rest
(the member field, the service, the amoCRM API address) stays readable for
``crm list``. A database copy without the key (CRM_SECRET, or the one kept in
DATA_DIR/crm_secret) reveals none of them.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken

from referral.errors import DomainError

SECRET_FIELDS = ("portal_webhook", "application_token", "token")
SEALED = "sealed"


class WrongCrmKey(DomainError):
    """The stored CRM secrets were sealed under another key than this process has."""


def fernet_key(secret: str) -> bytes:
    """A Fernet key from any passphrase (CRM_SECRET): SHA-256, url-safe base64."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


def is_sealed(stored: str) -> bool:
    return SEALED in json.loads(stored)


class SettingsVault:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, settings: dict) -> str:
        """``settings`` as stored: its secret fields in one Fernet token."""
        secret = {name: settings[name] for name in SECRET_FIELDS if name in settings}
        public = {name: value for name, value in settings.items() if name not in SECRET_FIELDS}
        token = self._fernet.encrypt(json.dumps(secret).encode()).decode()
        return json.dumps({**public, SEALED: token})

    def open(self, stored: str) -> dict:
        """The settings back; a row from before sealing (plain JSON) reads as it is."""
        data = json.loads(stored)
        token = data.pop(SEALED, None)
        if token is None:
            return data
        try:
            secret = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise WrongCrmKey(
                "the CRM secrets were sealed under another key: set CRM_SECRET "
                "(or DATA_DIR/crm_secret) to the one used at connect"
            ) from None
        return {**data, **secret}


def new_key() -> bytes:
    """A fresh random Fernet key (the default kept in DATA_DIR/crm_secret)."""
    return Fernet.generate_key()
