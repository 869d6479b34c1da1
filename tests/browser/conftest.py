"""Browser fixtures: the real ASGI app under uvicorn and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.media import face_y4m, live_face_y4m, tone_wav
from tests.servers import ROOT, uvicorn_server

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def server_url(transactional_db: None) -> Iterator[str]:
    with uvicorn_server(ROOT / "var" / "test-logs" / "uvicorn.log") as url:
        yield url


MEDIA_FIXTURES = ROOT / "var" / "media-fixtures"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]


def launch_chromium(browser_type: Any, *, video: Path, audio: Path | None = None) -> Any:
    """Debian's Chromium whose fake camera plays ``video`` (a y4m) and whose fake
    microphone plays ``audio`` (a wav; default: the 440 Hz tone)."""
    audio = audio or tone_wav(MEDIA_FIXTURES / "tone-440.wav")
    return browser_type.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}",
              f"--use-file-for-fake-audio-capture={audio}"],
    )


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Any]:
    """One Chromium for the session, started after the test database exists. Its
    camera shows a still face photo (a frozen camera to the device check)."""
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while it runs; the
    # tests' own database calls (and pytest-django's flushes) stay synchronous.
    # pytest-playwright documents the same setting.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright.chromium,
                                  video=face_y4m(MEDIA_FIXTURES / "face.y4m"))
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def live_browser(browser: Any) -> Iterator[Any]:
    """A Chromium whose camera shows the same face swaying slightly, as a live
    webcam does (the device check passes it), and whose microphone hears a tone."""
    live = launch_chromium(browser.browser_type,
                           video=live_face_y4m(MEDIA_FIXTURES / "face-live.y4m"))
    yield live
    live.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: object, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take
