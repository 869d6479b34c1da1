"""Test profile: the embedded default unless DATABASE_URL / REDIS_URL are set
(`make test-services` sets them to run the same suite on PostgreSQL and Redis)."""

import os

from config.env import BASE_DIR, ENV
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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
