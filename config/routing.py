"""Websocket routes.

The candidate's sockets authenticate with a token in their first message (ADR 0009);
the proctor console's socket uses the staff session cookie, so it is wrapped in
Channels' session/auth middleware and an origin check (a cookie-authenticated
socket must not be openable from another site).
"""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from examhall.console import consumers as console_consumers
from examhall.console import video
from examhall.proctoring import consumers

websocket_urlpatterns: list = [
    path("ws/attempts/", consumers.AttemptConsumer.as_asgi()),
    path("ws/phone/", consumers.PhoneConsumer.as_asgi()),
    path("ws/console/", AllowedHostsOriginValidator(
        AuthMiddlewareStack(console_consumers.ConsoleConsumer.as_asgi()))),
    *video.websocket_urlpatterns,  # /ws/video/watch/ (proctor), /ws/video/send/ (camera)
]
