"""Personal data at rest: encryption, keyed look-up hashes and masking.

ID numbers are stored encrypted (Fernet, key derived from ``EXAMHALL_PII_KEY``)
next to an HMAC-SHA256 of the normalised value, so that logins can find a
candidate without ever decrypting the whole table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _keys(secret: str) -> tuple[Fernet, bytes]:
    root = hashlib.sha256(("examhall-pii:" + secret).encode()).digest()
    enc_key = hmac.new(root, b"encrypt", hashlib.sha256).digest()
    mac_key = hmac.new(root, b"lookup", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(enc_key)), mac_key


def encrypt(value: str) -> str:
    fernet, _mac = _keys(settings.EXAMHALL_PII_KEY)
    return fernet.encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    fernet, _mac = _keys(settings.EXAMHALL_PII_KEY)
    return fernet.decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    _fernet, mac = _keys(settings.EXAMHALL_PII_KEY)
    return hmac.new(mac, value.encode(), hashlib.sha256).hexdigest()


def mask(value: str, *, keep_start: int = 4, keep_end: int = 4) -> str:
    """``110101199003071234`` → ``1101**********1234``."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
