from django.urls import path

from examhall.lockdown import views

app_name = "lockdown"

urlpatterns = [
    path("help/", views.help_index, name="help"),
    path("help/client/", views.help_client, name="help_client"),
]
