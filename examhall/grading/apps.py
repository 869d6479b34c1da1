from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "examhall.grading"
    verbose_name = _("Grading")

    def ready(self) -> None:
        from examhall.delivery.selectors import register_result_provider
        from examhall.grading import receivers  # noqa: F401  (connects signal receivers)
        from examhall.grading.selectors import result_summary

        register_result_provider(result_summary)
