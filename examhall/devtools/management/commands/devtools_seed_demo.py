from typing import Any

from django.core.management.base import BaseCommand

from examhall.devtools import seed


class Command(BaseCommand):
    help = "Create the demo exam, questions, candidates and staff (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="Where the demo is served (for the printed links).")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"].rstrip("/")
        logins = seed.seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write("")
        self.stdout.write(f"  Candidate entry: {base_url}/exam/{seed.EXAM_CODE}/")
        self.stdout.write("  Candidates (admission ticket / ID number / subject):")
        for login in logins:
            self.stdout.write(
                f"    {login.ticket_number}  {login.id_number}  {login.name}  {login.subject}"
            )
        self.stdout.write(f"  Formal exam (identity against enrolled photos): "
                          f"{base_url}/exam/{seed.FORMAL_EXAM_CODE}/")
        for login in seed.formal_logins():
            self.stdout.write(
                f"    {login.ticket_number}  {login.id_number}  {login.name}  {login.subject}"
            )
        self.stdout.write(f"  Staff ({base_url}/admin/):")
        for username, password, _superuser, role in seed.STAFF:
            self.stdout.write(f"    {username} / {password}  ({role})")
