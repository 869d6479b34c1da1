"""Test profile: the embedded default unless DATABASE_URL / REDIS_URL are set
(`make test-services` sets them to run the same suite on PostgreSQL and Redis)."""

import os
from urllib.parse import urlparse

# Tests run in parallel processes (pytest-xdist: gw0, gw1, ...): each takes a Redis
# database of its own (the given one + 1 + its number), so that one process's Celery
# queues, channel groups, rate limits and cache never reach another; the servers and
# workers a test starts inherit PYTEST_XDIST_WORKER and land on the same one. (Each
# also gets a PostgreSQL test database of its own from pytest-django.) Set before
# config.env reads the environment.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    # The given URL is kept aside: a subprocess inherits the rewritten one.
    _given = os.environ.setdefault("EXAMHALL_TEST_REDIS_URL", os.environ["REDIS_URL"])
    _redis = urlparse(_given)
    _base = int(_redis.path.strip("/") or 0)
    os.environ["REDIS_URL"] = _redis._replace(path=f"/{_base + 1 + int(_worker[2:])}").geturl()

from config.env import BASE_DIR, ENV  # noqa: E402
from config.settings.base import *  # noqa: E402, F403
from config.settings.base import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The browser tests' servers look for lost cameras every 2 s, not every 15 s.
EXAMHALL_CAMERA_CHECK_INTERVAL_SECONDS = 2
if not ENV.database_url:
    DATABASES["default"]["NAME"] = BASE_DIR / "var" / "test.sqlite3"
    # A file (not :memory:) so the uvicorn and Celery subprocesses of the browser and
    # service tests can open it; one per test process so parallel runs do not collide.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
# Serve static files straight from the source folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
