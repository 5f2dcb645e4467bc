"""Stripe keys encrypted at rest (Fernet, keyed from SECRET_KEY).

Rotating SECRET_KEY makes stored keys unreadable: the owner re-enters them (settings say
so). Plain keys never reach logs, audit data or templates: only `last4` does.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"reformer.payments.stripe-keys:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


class KeyUnreadable(Exception):
    """The stored key was encrypted under another SECRET_KEY."""


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise KeyUnreadable from exc


def masked(last4: str, prefix: str = "") -> str:
    return f"{prefix}••••{last4}"
