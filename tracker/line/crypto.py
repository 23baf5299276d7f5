"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF.

The key material is TRACKER_ENCRYPTION_KEY when set, else TRACKER_SECRET_KEY.
A dedicated key lets an operator rotate the session secret without losing the
stored LINE credentials; changing the material that encrypted them makes them
unreadable (`SecretUnreadable`), and the admin saves them again.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

_SALT = b"ita-tracker/secrets-at-rest/v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    # Imported here: `cryptography` is 6 MB of every web worker, and only LINE's secrets need it.
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = current_app.config.get("TRACKER_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"line-channel").derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("the stored LINE credentials cannot be decrypted with the current key") from exc
