from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeviceCheckConfig(AppConfig):
    name = "examhall.devicecheck"
    verbose_name = _("Device check")
