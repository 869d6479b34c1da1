from django.urls import path

from examhall.grading import views

app_name = "grading"

urlpatterns = [
    path("results/<slug:exam_code>/", views.result_lookup, name="result_lookup"),
]
