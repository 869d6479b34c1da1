"""Live video pages (filled by the live-video work)."""

urlpatterns: list = []
