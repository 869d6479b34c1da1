from typing import Any

from django.core.management.base import BaseCommand

from examhall.proctoring import services


class Command(BaseCommand):
    help = ("Raise a 'camera lost' flag for each camera silent longer than its exam's grace "
            "period (idempotent; safe to run from cron).")

    def handle(self, *args: Any, **options: Any) -> None:
        flags = services.cameras_check_lost()
        self.stdout.write(f"{len(flags)} lost cameras.")
