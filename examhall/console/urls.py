from django.urls import include, path

from examhall.console import views

app_name = "console"

urlpatterns = [
    path("console/", views.rooms, name="rooms"),
    path("console/rooms/<uuid:room_id>/", views.room, name="room"),
    path("console/attempts/<uuid:attempt_id>/", views.attempt, name="attempt"),
    path("console/snapshots/<uuid:snapshot_id>/", views.snapshot, name="snapshot"),
    # Live video (WebRTC viewer) pages.
    path("", include("examhall.console.video_urls")),
]
