"""The partners' CRM secrets sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256,
from ``cryptography``) under a key kept apart from the database.

A connection's ``settings`` are stored as JSON whose secret fields (the
Bitrix24 incoming-webhook URL, which holds its key, the Bitrix24 application
token, the amoCRM token) sit inside one Fernet token under ``sealed``; the rest
(the member field, the service, the amoCRM API address) stays readable for
``crm list``. A database copy without the key (CRM_SECRET, or the one kept in
DATA_DIR/crm_secret) reveals none of them.

Keys rotate (``refbot crm rotate-secret``): the vault holds a key ring, the
sealing key first and older ones that still open what they sealed, and when a
row opens under none of them it reads the ring again once, so a process running
through a rotation learns the new key from DATA_DIR/crm_secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

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


Keyring = Callable[[], list[bytes]]


class SettingsVault:
    def __init__(self, keys: bytes | Keyring) -> None:
        """``keys``: one key, or a function giving the key ring (sealing key first)."""
        self._keyring: Keyring = keys if callable(keys) else (lambda: [keys])
        self._reload()

    def _reload(self) -> None:
        self._keys = self._keyring()
        self._fernet = MultiFernet([Fernet(key) for key in self._keys])

    def seal(self, settings: dict) -> str:
        """``settings`` as stored: its secret fields in one Fernet token, under the
        ring's first key as it is now."""
        self._reload()
        secret = {name: settings[name] for name in SECRET_FIELDS if name in settings}
        public = {name: value for name, value in settings.items() if name not in SECRET_FIELDS}
        token = self._fernet.encrypt(json.dumps(secret).encode()).decode()
        return json.dumps({**public, SEALED: token})

    def open(self, stored: str) -> dict:
        """The settings back, under any key of the ring; a row from before sealing
        (plain JSON) reads as it is."""
        data = json.loads(stored)
        token = data.pop(SEALED, None)
        if token is None:
            return data
        try:
            secret = self._decrypt(token)
        except InvalidToken:
            self._reload()  # sealed under a key a rotation made after this ring was read?
            try:
                secret = self._decrypt(token)
            except InvalidToken:
                raise WrongCrmKey(
                    "the CRM secrets were sealed under another key: set CRM_SECRET "
                    "(or DATA_DIR/crm_secret) to the one used at connect"
                ) from None
        return {**data, **secret}

    def _decrypt(self, token: str) -> dict:
        return json.loads(self._fernet.decrypt(token.encode()))


def sealed_under(stored: str, key: bytes) -> bool:
    """Whether ``stored`` opens under ``key`` alone (a plain row: no)."""
    token = json.loads(stored).get(SEALED)
    if token is None:
        return False
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def new_key() -> bytes:
    """A fresh random Fernet key (the default kept in DATA_DIR/crm_secret)."""
    return Fernet.generate_key()
