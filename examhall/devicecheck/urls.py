from django.urls import path

from examhall.devicecheck import views

app_name = "devicecheck"

urlpatterns = [
    path("attempt/device/", views.page, name="page"),
]
