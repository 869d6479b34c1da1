"""Live video pages: the proctor's WebRTC viewer of one candidate's camera."""

from django.urls import path

from examhall.console import video_views

urlpatterns: list = [
    path("console/attempts/<uuid:attempt_id>/live/<str:camera>/", video_views.live_video,
         name="live_video"),
]
