"""The one place where the process environment is read.

Every setting that differs between the embedded default and the production
profile comes from here; nothing else in the code base calls ``os.environ``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None, default: list[str]) -> list[str]:
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def _ice_servers(value: str | None) -> list[dict]:
    """WEBRTC_ICE_SERVERS: a JSON list of RTCIceServer objects, e.g.
    ``[{"urls": "stun:turn.example.org:3478"}, {"urls": ["turn:turn.example.org:3478"]}]``.
    Empty: none (browsers on one network connect directly)."""
    if not value or not value.strip():
        return []
    try:
        servers = json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"WEBRTC_ICE_SERVERS is not valid JSON: {error}") from error
    if not isinstance(servers, list) or not all(
            isinstance(server, dict) and isinstance(server.get("urls"), str | list)
            for server in servers):
        raise ValueError('WEBRTC_ICE_SERVERS must be a JSON list of {"urls": …} objects')
    return servers


@dataclass(frozen=True)
class Environment:
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    database_url: str | None
    redis_url: str | None
    storage_url: str | None
    media_root: Path
    static_root: Path
    pii_key: str
    time_zone: str
    language_code: str
    celery_eager: bool
    answer_grace_seconds: int
    expiry_interval_seconds: int
    client_ip_meta_key: str
    autosave_db_threads: int
    db_pool_size: int
    public_url: str
    webrtc_ice_servers: list[dict]
    webrtc_turn_secret: str
    client_download_urls: str


def read_environment() -> Environment:
    env = os.environ
    redis_url = env.get("REDIS_URL") or None
    return Environment(
        secret_key=env.get("SECRET_KEY", "dev-insecure-change-me-examhall"),
        debug=_bool(env.get("DEBUG"), False),
        allowed_hosts=_list(env.get("ALLOWED_HOSTS"), ["127.0.0.1", "localhost", "[::1]"]),
        csrf_trusted_origins=_list(env.get("CSRF_TRUSTED_ORIGINS"), []),
        database_url=env.get("DATABASE_URL") or None,
        redis_url=redis_url,
        storage_url=env.get("STORAGE_URL") or None,
        media_root=Path(env.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))),
        static_root=Path(env.get("STATIC_ROOT", str(BASE_DIR / "var" / "static"))),
        pii_key=env.get("PII_KEY", "dev-insecure-pii-key-change-me"),
        time_zone=env.get("TIME_ZONE", "Asia/Shanghai"),
        language_code=env.get("LANGUAGE_CODE", "zh-hans"),
        # Without a broker, background work runs in-process.
        celery_eager=_bool(env.get("CELERY_EAGER"), redis_url is None),
        answer_grace_seconds=int(env.get("ANSWER_GRACE_SECONDS", "120")),
        expiry_interval_seconds=int(env.get("EXPIRY_INTERVAL_SECONDS", "30")),
        # Behind nginx: HTTP_X_REAL_IP (the header nginx sets), so limits count candidates.
        client_ip_meta_key=env.get("CLIENT_IP_META_KEY", "REMOTE_ADDR"),
        autosave_db_threads=int(env.get("AUTOSAVE_DB_THREADS", "8")),
        db_pool_size=int(env.get("DB_POOL_SIZE", "20")),
        # The address candidates' phones open (the QR code's link): behind a proxy the
        # Host header may be an internal name. Empty: the address the PC used.
        public_url=(env.get("PUBLIC_URL") or "").rstrip("/"),
        # Live video (ADR 0010): STUN/TURN servers for WebRTC, and coturn's
        # static-auth-secret to issue short-lived TURN credentials from.
        webrtc_ice_servers=_ice_servers(env.get("WEBRTC_ICE_SERVERS")),
        webrtc_turn_secret=env.get("WEBRTC_TURN_SECRET", ""),
        # The exam client's installers offered on /help/client/ (ADR 0012):
        # "windows=https://…,macos=https://…,linux=https://…".
        client_download_urls=env.get("CLIENT_DOWNLOAD_URLS", ""),
    )


ENV = read_environment()
