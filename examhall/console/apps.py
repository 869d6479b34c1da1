from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "examhall.console"
    verbose_name = _("Proctor console")

    def ready(self) -> None:
        from examhall.console import (
            checks,  # noqa: F401  (registers "admission")
            receivers,  # noqa: F401  (access re-checks)
        )
