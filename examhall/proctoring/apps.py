from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProctoringConfig(AppConfig):
    name = "examhall.proctoring"
    verbose_name = _("Proctoring")

    def ready(self) -> None:
        from examhall.proctoring import checks  # noqa: F401  (registers "second_camera")
