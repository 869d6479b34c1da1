from django.urls import path

from examhall.review import views

app_name = "review"

urlpatterns = [
    path("review/", views.queue, name="queue"),
    path("review/attempts/<uuid:attempt_id>/", views.attempt, name="attempt"),
    path("review/attempts/<uuid:attempt_id>/decide", views.decide, name="decide"),
    path("review/attempts/<uuid:attempt_id>/confirm", views.confirm, name="confirm"),
    path("review/attempts/<uuid:attempt_id>/report/", views.report, name="report"),
    path("review/attempts/<uuid:attempt_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("review/snapshots/<uuid:snapshot_id>/", views.snapshot, name="snapshot"),
    path("review/exams/<uuid:exam_id>/summary.xlsx", views.summary, name="summary"),
]
