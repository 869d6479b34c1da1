from django.urls import path

from examhall.proctoring import views

app_name = "proctoring"

urlpatterns = [
    path("attempt/phone/", views.pairing, name="pairing"),
    path("m/<str:token>/", views.phone, name="phone"),
    path("m/", views.phone_resume, name="phone_resume"),
]
