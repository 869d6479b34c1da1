"""Websocket routes. The proctor console (issue 6) adds its own here."""

from django.urls import path

from examhall.proctoring import consumers

websocket_urlpatterns: list = [
    path("ws/attempts/", consumers.AttemptConsumer.as_asgi()),
    path("ws/phone/", consumers.PhoneConsumer.as_asgi()),
]
