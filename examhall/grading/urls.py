from django.urls import path

from examhall.grading import marking_views, views

app_name = "grading"

urlpatterns = [
    path("results/<slug:exam_code>/", views.result_lookup, name="result_lookup"),
    path("marking/", marking_views.marking_queue, name="marking_queue"),
    path("marking/<uuid:question_id>/", marking_views.marking_next, name="marking_next"),
]
