"""Production profile: everything differs only by environment variables (config.env)."""

from django.core.exceptions import ImproperlyConfigured

from config.env import ENV
from config.settings.base import *  # noqa: F403

DEBUG = False
if ENV.secret_key.startswith("dev-insecure") or ENV.pii_key.startswith("dev-insecure"):
    raise ImproperlyConfigured("Set SECRET_KEY and PII_KEY for the production profile.")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
