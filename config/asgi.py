"""ASGI entry point: HTTP to Django, websockets to Channels routing, and the
lifespan protocol to the in-process scheduler of the embedded profile."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from examhall.core.asgi import LifespanApp  # noqa: E402
from examhall.delivery.fastpath import AutosaveFastPath  # noqa: E402
from examhall.proctoring.fastpath import SnapshotFastPath  # noqa: E402

django_asgi = get_asgi_application()

application = LifespanApp(
    ProtocolTypeRouter(
        {
            # The autosave and snapshot hot paths skip Django's middleware stack
            # (ADR 0004, ADR 0007).
            "http": SnapshotFastPath(AutosaveFastPath(django_asgi)),
            "websocket": URLRouter(websocket_urlpatterns),
        }
    )
)
