from django.urls import path

from examhall.delivery import views

app_name = "delivery"

urlpatterns = [
    path("", views.home, name="home"),
    path("exam/<slug:exam_code>/", views.exam_entry, name="exam_entry"),
    path("exam/<slug:exam_code>/login/", views.login, name="login"),
    path("attempt/check/", views.check, name="check"),
    path("attempt/", views.exam, name="exam"),
    path("attempt/done/", views.done, name="done"),
    path("attempt/logout/", views.logout, name="logout"),
]
