"""Embedded default used by `make demo`: SQLite, local files, in-process everything."""

from config.settings.base import *  # noqa: F403

DEBUG = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
