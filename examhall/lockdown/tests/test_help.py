"""The help centre: candidate help, and the exam client's downloads per platform."""

from __future__ import annotations

import pytest
from django.test import Client

from examhall.lockdown.downloads import parse_download_urls

pytestmark = pytest.mark.django_db


def test_the_help_page_lists_the_requirements_and_links_the_client_page():
    page = Client().get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "10 Mbit/s" in page and 'href="/help/client/"' in page


def test_the_home_page_links_the_help_centre():
    assert 'href="/help/"' in Client().get("/").content.decode()


def test_configured_downloads_are_offered_per_platform(settings):
    settings.EXAMHALL_CLIENT_DOWNLOADS = parse_download_urls(
        "windows=https://dl.example.org/examhall-client.exe, linux=https://dl.example.org/"
        "examhall-client-linux.tar.gz,solaris=https://nope")

    page = Client().get("/help/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'href="https://dl.example.org/examhall-client.exe" data-platform="windows"' in page
    assert 'data-platform="linux"' in page and 'data-platform="macos"' not in page
    assert "nope" not in page and 'id="no-downloads"' not in page
    assert "Install on macOS" in page  # the steps are there for every platform


def test_installers_under_media_client_are_offered_when_none_is_configured(settings, tmp_path):
    settings.EXAMHALL_CLIENT_DOWNLOADS = {}
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "client").mkdir()
    (tmp_path / "client" / "examhall-client-0.1.0.dmg").write_bytes(b"x")

    page = Client().get("/help/client/").content.decode()

    assert 'href="/media/client/examhall-client-0.1.0.dmg" data-platform="macos"' in page


def test_without_any_download_the_candidate_is_sent_to_the_exam_office(settings, tmp_path):
    settings.EXAMHALL_CLIENT_DOWNLOADS = {}
    settings.MEDIA_ROOT = tmp_path

    page = Client().get("/help/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="no-downloads"' in page and "ask the exam office" in page
