from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeviceCheckConfig(AppConfig):
    name = "examhall.devicecheck"
    verbose_name = _("Device check")

    def ready(self) -> None:
        from examhall.devicecheck import checks  # noqa: F401  (registers the "device" check)
