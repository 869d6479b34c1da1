from django.urls import path

from examhall.identity import views

app_name = "identity"

urlpatterns = [
    path("attempt/identity/", views.page, name="page"),
    path("staff/identity/photos/<uuid:photo_id>/", views.enrolment_photo,
         name="enrolment_photo"),
    path("staff/identity/captures/<uuid:capture_id>/<int:index>/", views.capture_frame,
         name="capture_frame"),
]
