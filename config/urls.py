from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from examhall.core.api import api
from examhall.lockdown.api import router as lockdown_router

api.add_router("/", lockdown_router)  # the exam client's policy and reports (ADR 0012)

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("examhall.lockdown.urls")),
    path("", include("examhall.console.urls")),
    path("", include("examhall.review.urls")),
    path("", include("examhall.grading.urls")),
    path("", include("examhall.devicecheck.urls")),
    path("", include("examhall.identity.urls")),
    path("", include("examhall.proctoring.urls")),
    path("", include("examhall.delivery.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
