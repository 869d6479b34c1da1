"""Fixtures shared by every test: a clean cache and server clock per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from examhall.core import clock


@pytest.fixture(autouse=True)
def _isolated_cache_and_clock() -> Iterator[None]:
    cache.clear()
    clock.reset()
    yield
    clock.reset()
    cache.clear()
