from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "examhall.devtools"
    verbose_name = "Developer tools"
