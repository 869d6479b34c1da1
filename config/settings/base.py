"""Settings shared by every profile. Environment values come from config.env only."""

from __future__ import annotations

from urllib.parse import urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from config.env import BASE_DIR, ENV

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_ratelimit",
    "examhall.core",
    "examhall.exams",
    "examhall.candidates",
    "examhall.itembank",
    "examhall.delivery",
    "examhall.devicecheck",
    "examhall.identity",
    "examhall.proctoring",
    "examhall.grading",
    "examhall.console",
    "examhall.review",
    "examhall.lockdown",
    "examhall.devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Exams that require the exam client refuse unsigned requests (ADR 0012).
    "examhall.lockdown.middleware.client_gate_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL switches (PostgreSQL in production).
if ENV.database_url:
    DATABASES = {"default": dj_database_url.parse(ENV.database_url)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI each request's sync code runs on a thread of its own, so
        # persistent per-thread connections pile up; a psycopg pool per process
        # bounds them (measured: docs/performance.md, ADR 0005).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": ENV.db_pool_size,
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "examhall.sqlite3",
            "OPTIONS": {
                # WAL lets readers proceed during a write; IMMEDIATE avoids
                # lock-upgrade deadlocks between concurrent autosaves.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, Celery broker: in-process by default, REDIS_URL switches.
if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub (ADR 0013): each process holds one subscribed connection and
            # fans messages out to its own sockets, as they are pushed. The list-based
            # RedisChannelLayer polled one message at a time per process (three round
            # trips each) and dropped group messages once 100 waited: under upload load
            # the console's events arrived seconds late or never (docs/performance.md).
            # Delivery is at most once, to whoever is connected: every consumer re-reads
            # its state over HTTP after a reconnect, so nothing durable rides on it.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default: a connection idle
            # for longer died with TimeoutError (channels_redis issue 422). No read
            # timeout on the layer's connections, as in redis-py 7.
            "CONFIG": {"hosts": [{"address": ENV.redis_url, "socket_timeout": None}]},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = ENV.redis_url or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = ENV.celery_eager
CELERY_TASK_EAGER_PROPAGATES = True
# Two queues: "analysis" (pictures and audio clips: many, CPU-heavy, may fall behind) and
# the default "celery" (the periodic jobs: submitting expired attempts, lost cameras,
# the re-queue sweep), so that a job never waits behind an analysis backlog. A worker
# started without -Q consumes both; production runs `-Q celery` and `-Q analysis`
# workers apart (README, ADR 0007).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name)
                           for name in ("celery", "analysis"))
CELERY_TASK_ROUTES = {
    name: {"queue": "analysis"} for name in (
        "examhall.proctoring.tasks.analyse_snapshot",
        "examhall.proctoring.tasks.analyse_snapshots",
        "examhall.proctoring.voice_tasks.analyse_audio_clip",
    )
}
CELERY_BEAT_SCHEDULE = {
    "delivery-submit-expired": {
        "task": "examhall.delivery.tasks.submit_expired_attempts",
        "schedule": float(ENV.expiry_interval_seconds),
    },
    "proctoring-check-cameras": {
        "task": "examhall.proctoring.tasks.check_cameras",
        "schedule": 15.0,
    },
    "proctoring-requeue-analysis": {
        "task": "examhall.proctoring.tasks.requeue_analysis",
        "schedule": 60.0,
    },
}
# Redis re-delivers an unacknowledged task (acks_late: a worker died mid-analysis)
# after this many seconds; snapshot analysis is idempotent, so it can be short.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
EXAMHALL_CAMERA_CHECK_INTERVAL_SECONDS = 15
# Snapshots left pending this long (broker down, worker lost) are queued again by a
# sweep every EXAMHALL_ANALYSIS_REQUEUE_INTERVAL_SECONDS (ADR 0007).
EXAMHALL_ANALYSIS_REQUEUE_INTERVAL_SECONDS = 60
EXAMHALL_ANALYSIS_REQUEUE_AFTER_SECONDS = 120
# Without a broker the ASGI process itself runs periodic jobs (config.asgi).
EXAMHALL_INPROCESS_SCHEDULER = ENV.celery_eager
EXAMHALL_EXPIRY_INTERVAL_SECONDS = ENV.expiry_interval_seconds

# --- Storage: local media folder by default, STORAGE_URL=s3://bucket?... switches.
MEDIA_ROOT = ENV.media_root
MEDIA_URL = "/media/"
STATIC_ROOT = ENV.static_root
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]


def _client_downloads(value: str) -> dict[str, str]:
    from examhall.lockdown.downloads import parse_download_urls

    return parse_download_urls(value)


def _storages(storage_url: str | None) -> dict:
    static = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    if not storage_url:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": static,
        }
    parsed = urlparse(storage_url)
    options: dict[str, object] = {"bucket_name": parsed.netloc}
    for part in filter(None, parsed.query.split("&")):
        key, _sep, value = part.partition("=")
        options[key] = value
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": static,
    }


STORAGES = _storages(ENV.storage_url)

# --- Auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Internationalisation: Simplified Chinese first, English available.
LANGUAGE_CODE = ENV.language_code
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = ENV.time_zone

# --- ExamHall
EXAMHALL_PII_KEY = ENV.pii_key
EXAMHALL_PUBLIC_URL = ENV.public_url
# A save stamped before the deadline is still accepted this long after it.
EXAMHALL_ANSWER_GRACE_SECONDS = ENV.answer_grace_seconds
# Threads (and so database connections) per process for the autosave fast path.
EXAMHALL_AUTOSAVE_DB_THREADS = ENV.autosave_db_threads
# Live video (ADR 0010): the ICE servers both browsers use (WEBRTC_ICE_SERVERS, JSON);
# with WEBRTC_TURN_SECRET (coturn's static-auth-secret) each video session gets TURN
# credentials valid for EXAMHALL_WEBRTC_TURN_TTL_SECONDS.
EXAMHALL_WEBRTC_ICE_SERVERS = ENV.webrtc_ice_servers
EXAMHALL_WEBRTC_TURN_SECRET = ENV.webrtc_turn_secret
EXAMHALL_WEBRTC_TURN_TTL_SECONDS = 8 * 3600
# The exam client's downloads on /help/client/ (ADR 0012): CLIENT_DOWNLOAD_URLS, e.g.
# "windows=https://…/examhall-client.exe,macos=https://…,linux=https://…"; when empty,
# the installers found under MEDIA_ROOT/client/ are offered.
EXAMHALL_CLIENT_DOWNLOADS = _client_downloads(ENV.client_download_urls)
# Failed candidate logins: per ticket and per client address.
EXAMHALL_LOGIN_RATE_PER_TICKET = "5/15m"
EXAMHALL_LOGIN_RATE_PER_IP = "30/15m"
RATELIMIT_USE_CACHE = "default"
# django-ratelimit knows only django-redis / memcached by name. Django's own
# RedisCache increments atomically (INCR); the embedded profile serves from one
# process, where LocMemCache is shared by every request. See docs/adr/0002.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not ENV.redis_url:
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")
RATELIMIT_IP_META_KEY = ENV.client_ip_meta_key

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
