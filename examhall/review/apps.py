from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "examhall.review"
    verbose_name = _("Review after the exam")
