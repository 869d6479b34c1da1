from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LockdownConfig(AppConfig):
    name = "examhall.lockdown"
    verbose_name = _("Exam client")

    def ready(self) -> None:
        from examhall.lockdown import checks, selectors  # noqa: F401  (registers "environment")

        selectors.connect_invalidation()
