"""The exam's client policy: fetched from the server, validated strictly.

``GET <server>/api/client/exams/<exam_code>/policy`` (issue 7 contract). Anything that does not
match the contract is a ``PolicyError`` rather than a half-understood policy: a lockdown client
that silently ignores a rule it cannot read would let the candidate in.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from examhall_client import __version__
from examhall_client.i18n import DEFAULT_LANGUAGE, http_language, normalize_language

SCHEMA = 1
OS_KEYS = ("windows", "macos", "linux")
RULES = ("refuse", "warn", "allow")
CATEGORIES = (
    "chat",
    "remote_control",
    "screen_sharing",
    "screen_recorder",
    "virtual_camera",
    "security_suite",
    "browser_automation",
    "other",
)
KEY_LENGTH = 32
_VERSION = re.compile(r"^\d+(\.\d+)*$")

# PolicyError codes.
UNREACHABLE = "policy_unreachable"
NOT_FOUND = "not_found"
INVALID = "invalid_policy"


class PolicyError(Exception):
    """The policy cannot be fetched or read; ``code`` is stable, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ExamInfo:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class ForbiddenProcess:
    id: str
    name: str
    category: str
    advice: str
    match: dict[str, tuple[str, ...]]

    def names_for(self, os_name: str) -> tuple[str, ...]:
        return self.match.get(os_name, ())


@dataclass(frozen=True)
class DisplayRule:
    max_displays: int
    allow_mirrored: bool


@dataclass(frozen=True)
class BatteryRule:
    min_percent: int


@dataclass(frozen=True)
class ClientPolicy:
    schema: int
    exam: ExamInfo
    requires_client: bool
    client_key: str
    min_client_version: str
    entry_url: str
    origin: str
    recheck_interval_seconds: int
    forbidden_processes: tuple[ForbiddenProcess, ...]
    allowed_processes: tuple[str, ...]
    displays: DisplayRule
    virtual_machine: str
    remote_session: str
    battery: BatteryRule
    download_url: str
    # Not part of the JSON: the language the advice texts were asked in.
    language: str = field(default=DEFAULT_LANGUAGE, compare=False)

    @property
    def key_bytes(self) -> bytes:
        return decode_key(self.client_key)

    @classmethod
    def from_dict(cls, data: Any, *, language: str = DEFAULT_LANGUAGE) -> ClientPolicy:
        """Validate the policy JSON (already parsed); ``PolicyError(invalid_policy)`` if wrong."""
        return _parse(data, normalize_language(language))


def decode_key(value: str) -> bytes:
    """base64url without padding -> the key bytes (``PolicyError`` if not 32 bytes)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise PolicyError(INVALID, "client_key is not base64url")
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PolicyError(INVALID, "client_key is not base64url") from exc
    if len(key) != KEY_LENGTH:
        raise PolicyError(INVALID, f"client_key must be {KEY_LENGTH} bytes, not {len(key)}")
    return key


def version_tuple(version: str = __version__) -> tuple[int, ...]:
    """``"0.10.2"`` -> ``(0, 10, 2)``; trailing zeros do not matter (``1.0 == 1``)."""
    if not _VERSION.match(version):
        raise ValueError(f"not a version: {version!r}")
    parts = [int(part) for part in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def is_outdated(policy: ClientPolicy, version: str = __version__) -> bool:
    """Whether this client is below the exam's ``min_client_version``."""
    return version_tuple(version) < version_tuple(policy.min_client_version)


def policy_url(server: str, exam_code: str) -> str:
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PolicyError(UNREACHABLE, f"not an http(s) server address: {server!r}")
    base = server.strip().rstrip("/")
    return f"{base}/api/client/exams/{quote(exam_code.strip(), safe='')}/policy"


def fetch_policy(
    server: str, exam_code: str, *, language: str = "zh-hans", timeout: float = 10.0
) -> ClientPolicy:
    """Fetch and validate the exam's policy; ``PolicyError`` with code ``policy_unreachable``
    (no answer, not http(s), server error), ``not_found`` (404) or ``invalid_policy``."""
    if not exam_code.strip():
        raise PolicyError(NOT_FOUND, "no exam code")
    url = policy_url(server, exam_code)
    request = urllib.request.Request(
        url,
        headers={
            "Accept": "application/json",
            "Accept-Language": http_language(language),
            "User-Agent": f"ExamHallClient/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = _error_message(exc)
        if exc.code == 404:
            raise PolicyError(NOT_FOUND, detail or f"no exam {exam_code!r} on {server}") from exc
        raise PolicyError(
            UNREACHABLE, f"the server answered HTTP {exc.code}" + (f": {detail}" if detail else "")
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PolicyError(UNREACHABLE, f"cannot reach {server}: {reason}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(INVALID, f"the policy is not JSON: {exc}") from exc
    return ClientPolicy.from_dict(data, language=language)


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


# --- validation -------------------------------------------------------------------------------


def _get(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise PolicyError(INVALID, f"{where}{key} is missing")
    value = data[key]
    # bool is an int subclass: never accept one for the other.
    if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
        raise PolicyError(INVALID, f"{where}{key} has the wrong type ({type(value).__name__})")
    return value


def _text(data: dict[str, Any], key: str, where: str = "", *, empty: bool = False) -> str:
    value = _get(data, key, str, where)
    if not empty and not value.strip():
        raise PolicyError(INVALID, f"{where}{key} is empty")
    return value


def _rule(data: dict[str, Any], key: str) -> str:
    value = _text(data, key)
    if value not in RULES:
        raise PolicyError(INVALID, f"{key} must be one of {', '.join(RULES)}, not {value!r}")
    return value


def _http_url(data: dict[str, Any], key: str) -> str:
    value = _text(data, key)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PolicyError(INVALID, f"{key} is not an http(s) URL: {value!r}")
    return value


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PolicyError(INVALID, f"{where} must be a list of names")
    return tuple(v.strip() for v in value)


def _forbidden(value: Any, index: int) -> ForbiddenProcess:
    where = f"forbidden_processes[{index}]."
    if not isinstance(value, dict):
        raise PolicyError(INVALID, f"{where[:-1]} is not an object")
    match = _get(value, "match", dict, where)
    unknown = set(match) - set(OS_KEYS)
    if unknown:
        raise PolicyError(INVALID, f"{where}match has unknown systems: {sorted(unknown)}")
    return ForbiddenProcess(
        id=_text(value, "id", where),
        name=_text(value, "name", where),
        category=_text(value, "category", where),
        advice=_text(value, "advice", where, empty=True),
        match={os_key: _names(names, f"{where}match.{os_key}") for os_key, names in match.items()},
    )


def _parse(data: Any, language: str) -> ClientPolicy:
    if not isinstance(data, dict):
        raise PolicyError(INVALID, "the policy is not a JSON object")
    schema = _get(data, "schema", int, "")
    if schema != SCHEMA:
        raise PolicyError(INVALID, f"policy schema {schema} is not supported (expected {SCHEMA})")
    exam = _get(data, "exam", dict, "")
    displays = _get(data, "displays", dict, "")
    battery = _get(data, "battery", dict, "")
    min_version = _text(data, "min_client_version")
    if not _VERSION.match(min_version):
        raise PolicyError(INVALID, f"min_client_version is not a version: {min_version!r}")
    max_displays = _get(displays, "max_displays", int, "displays.")
    if max_displays < 1:
        raise PolicyError(INVALID, "displays.max_displays must be at least 1")
    min_percent = _get(battery, "min_percent", int, "battery.")
    if not 0 <= min_percent <= 100:
        raise PolicyError(INVALID, "battery.min_percent must be between 0 and 100")
    interval = _get(data, "recheck_interval_seconds", int, "")
    if interval < 1:
        raise PolicyError(INVALID, "recheck_interval_seconds must be positive")
    forbidden = _get(data, "forbidden_processes", list, "")
    client_key = _text(data, "client_key")
    decode_key(client_key)
    entry_url, origin = _http_url(data, "entry_url"), _http_url(data, "origin")
    return ClientPolicy(
        schema=schema,
        exam=ExamInfo(
            code=_text(exam, "code", "exam."),
            name=_text(exam, "name", "exam."),
            kind=_text(exam, "kind", "exam."),
        ),
        requires_client=_get(data, "requires_client", bool, ""),
        client_key=client_key,
        min_client_version=min_version,
        entry_url=entry_url,
        origin=origin,
        recheck_interval_seconds=interval,
        forbidden_processes=tuple(_forbidden(item, i) for i, item in enumerate(forbidden)),
        allowed_processes=_names(
            _get(data, "allowed_processes", list, ""), "allowed_processes"
        ),
        displays=DisplayRule(
            max_displays=max_displays,
            allow_mirrored=_get(displays, "allow_mirrored", bool, "displays."),
        ),
        virtual_machine=_rule(data, "virtual_machine"),
        remote_session=_rule(data, "remote_session"),
        battery=BatteryRule(min_percent=min_percent),
        download_url=_text(data, "download_url"),
        language=language,
    )
