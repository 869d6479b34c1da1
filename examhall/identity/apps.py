from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "examhall.identity"
    verbose_name = _("Identity verification")

    def ready(self) -> None:
        from examhall.identity import checks  # noqa: F401  (registers the "identity" check)
