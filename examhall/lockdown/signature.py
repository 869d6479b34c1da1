"""The client's request signature (ADR 0012): pure functions, no Django.

``X-ExamHall-Client: v=<client version>; sig=<64 lowercase hex>`` where ``sig`` is
HMAC-SHA256, keyed by the exam's client key, over::

    EXAMHALL-CLIENT-1\\n<version>\\n<METHOD>\\n<canonical URL>\\n<sha256 hex of the body>

The canonical URL is scheme://host[:port]path[?query] with the path and query exactly
as on the wire; websocket handshakes are signed as http/https. No timestamp: the same
request to the same URL verifies again (as Safe Exam Browser's Browser Exam Key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

HEADER = "X-ExamHall-Client"
PREFIX = "EXAMHALL-CLIENT-1"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_SIG = re.compile(r"^[0-9a-f]{64}$")
VERSION = re.compile(r"^\d{1,4}(\.\d{1,4}){0,3}$")


def generate_key() -> str:
    """A new client key: 32 random bytes, base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def decode_key(key: str) -> bytes:
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))


def canonical_url(*, scheme: str, host: str, path: str, query: str = "") -> str:
    """``host`` may carry a port (``example.org:8443``, ``[::1]:8000``); a default port
    is dropped. ``path`` and ``query`` are used as given (as on the wire)."""
    scheme = _SCHEMES.get(scheme.lower(), scheme.lower())
    host = host.strip().lower()
    name, port = host, ""
    if host.startswith("["):
        end = host.find("]")
        if end != -1 and host[end + 1:end + 2] == ":":
            name, port = host[:end + 1], host[end + 2:]
    elif host.count(":") == 1:
        name, port = host.split(":")
    if port and port != _DEFAULT_PORTS.get(scheme):
        name = f"{name}:{port}"
    url = f"{scheme}://{name}{path}"
    return f"{url}?{query}" if query else url


def message(*, version: str, method: str, url: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{PREFIX}\n{version}\n{method.upper()}\n{url}\n{digest}".encode()


def sign(*, key: str, version: str, method: str, url: str, body: bytes = b"") -> str:
    """The 64 lowercase hex digits of the signature of one request."""
    mac = hmac.new(decode_key(key), message(version=version, method=method, url=url,
                                           body=body), hashlib.sha256)
    return mac.hexdigest()


def header_value(*, key: str, version: str, method: str, url: str, body: bytes = b"") -> str:
    """The whole header value a client sends (tests, tools)."""
    signature = sign(key=key, version=version, method=method, url=url, body=body)
    return f"v={version}; sig={signature}"


@dataclass(frozen=True)
class ClientHeader:
    version: str
    signature: str


def parse_header(value: str | None) -> ClientHeader | None:
    """``v=0.1.0; sig=<hex>`` → its parts; None when absent or malformed."""
    if not value or len(value) > 200:
        return None
    parts: dict[str, str] = {}
    for item in value.split(";"):
        name, sep, content = item.strip().partition("=")
        if sep:
            parts[name.strip().lower()] = content.strip()
    version, signature = parts.get("v", ""), parts.get("sig", "")
    if not VERSION.match(version) or not _SIG.match(signature):
        return None
    return ClientHeader(version=version, signature=signature)


def verify(*, key: str, header: ClientHeader, method: str, url: str, body: bytes) -> bool:
    expected = sign(key=key, version=header.version, method=method, url=url, body=body)
    return hmac.compare_digest(expected, header.signature)


def version_tuple(version: str) -> tuple[int, ...]:
    """``"0.10.2"`` → ``(0, 10, 2, 0)`` (padded to four parts, so 0.1 == 0.1.0)."""
    numbers = [int(part) for part in version.split(".")] if VERSION.match(version) else [0]
    return tuple([*numbers, 0, 0, 0, 0][:4])
