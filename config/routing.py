"""Websocket routes. Later issues (proctor console, phone pairing) add theirs here."""

websocket_urlpatterns: list = []
