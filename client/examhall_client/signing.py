"""The request signature the server verifies (issue 7 contract, "Request signature").

Every request of the exam's web view carries ``X-ExamHall-Client: v=<version>; sig=<hex>``,
an HMAC-SHA256 keyed by the exam's client key over the method, the canonical URL and the
body's hash. There is no timestamp (like Safe Exam Browser's Browser Exam Key): the same
request replayed to the same URL verifies; any other URL, method, body, key or version does not.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

HEADER_NAME = "X-ExamHall-Client"
MESSAGE_PREFIX = "EXAMHALL-CLIENT-1"

# Websocket handshakes are signed as the http(s) request they start as.
_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SigningError(ValueError):
    """The URL cannot be signed (not http/https/ws/wss, or no host)."""


def canonical_url(url: str) -> str:
    """The URL as the signature covers it.

    Scheme and host lowercase, ``ws``/``wss`` as ``http``/``https``, the port only when it is
    not the scheme's default, then path and query exactly as sent (no decoding, no
    re-encoding); user info and fragment are dropped (never on the wire). An empty path is
    ``/``, as in the request line.
    """
    parts = urlsplit(url)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise SigningError(f"cannot sign a {parts.scheme or 'relative'} URL: {url!r}")
    host = parts.hostname  # lowercased, without user info, port and IPv6 brackets
    if not host:
        raise SigningError(f"no host in {url!r}")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise SigningError(f"bad port in {url!r}") from exc
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    canonical = f"{scheme}://{netloc}{parts.path or '/'}"
    if parts.query:
        canonical += f"?{parts.query}"
    return canonical


def signature_message(version: str, method: str, url: str, body: bytes) -> str:
    """The text the HMAC covers."""
    return "\n".join(
        (
            MESSAGE_PREFIX,
            version,
            method.upper(),
            canonical_url(url),
            hashlib.sha256(body).hexdigest(),
        )
    )


def signature(key: bytes, version: str, method: str, url: str, body: bytes) -> str:
    """The 64 lowercase hex digits of the signature."""
    message = signature_message(version, method, url, body).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_request(key: bytes, version: str, method: str, url: str, body: bytes = b"") -> str:
    """The value of the ``X-ExamHall-Client`` header for one request."""
    return f"v={version}; sig={signature(key, version, method, url, body)}"
