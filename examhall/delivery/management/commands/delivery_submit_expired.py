from typing import Any

from django.core.management.base import BaseCommand

from examhall.delivery import services


class Command(BaseCommand):
    help = "Submit every attempt whose time is up (idempotent; safe to run from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        submitted = services.submit_expired_attempts()
        self.stdout.write(f"{len(submitted)} expired attempts submitted.")
