"""Where candidates download the exam client: ``EXAMHALL_CLIENT_DOWNLOADS`` (from
``CLIENT_DOWNLOAD_URLS``), else installers found under ``MEDIA_ROOT/client/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.functional import Promise

PLATFORMS: dict[str, str | Promise] = {"windows": "Windows", "macos": "macOS",
                                       "linux": "Linux"}
_SUFFIXES = {"windows": (".exe", ".msi", "-windows.zip"),
             "macos": (".dmg", ".pkg", "-macos.zip"),
             "linux": (".appimage", ".deb", ".rpm", "-linux.tar.gz", "-linux.zip")}


@dataclass(frozen=True)
class Download:
    platform: str
    label: str | Promise
    url: str
    file_name: str = ""


def parse_download_urls(value: str) -> dict[str, str]:
    """``"windows=https://…,macos=https://…,linux=https://…"`` → a dict (unknown
    platforms and empty parts are left out)."""
    out = {}
    for part in value.split(","):
        name, sep, url = part.strip().partition("=")
        name = name.strip().lower()
        if sep and name in PLATFORMS and url.strip():
            out[name] = url.strip()
    return out


def _from_media() -> dict[str, tuple[str, str]]:
    folder = Path(settings.MEDIA_ROOT) / "client"
    if not folder.is_dir():
        return {}
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.iterdir(), reverse=True):  # the highest version first
        lower = path.name.lower()
        for platform, suffixes in _SUFFIXES.items():
            if platform not in found and path.is_file() and lower.endswith(suffixes):
                found[platform] = (f"{settings.MEDIA_URL.rstrip('/')}/client/{path.name}",
                                   path.name)
    return found


def client_downloads() -> list[Download]:
    configured = getattr(settings, "EXAMHALL_CLIENT_DOWNLOADS", {}) or {}
    if configured:
        return [Download(platform, label, configured[platform])
                for platform, label in PLATFORMS.items() if platform in configured]
    media = _from_media()
    return [Download(platform, label, media[platform][0], media[platform][1])
            for platform, label in PLATFORMS.items() if platform in media]


__all__ = ["PLATFORMS", "Download", "client_downloads", "parse_download_urls"]
