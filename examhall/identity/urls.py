from django.urls import path

from examhall.identity import views

app_name = "identity"

urlpatterns = [
    path("attempt/identity/", views.page, name="page"),
]
