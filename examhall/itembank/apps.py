from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItembankConfig(AppConfig):
    name = "examhall.itembank"
    verbose_name = _("Item bank")
