from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from examhall.itembank import services
from examhall.itembank.management.commands._subject import subject_from_options


class Command(BaseCommand):
    help = "Export a subject's questions as Excel, IMS QTI 2.1 package, Moodle XML or GIFT."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", help="file to write")
        parser.add_argument("--subject", required=True, help="subject code")
        parser.add_argument("--exam", help="exam code, when several exams have the subject code")
        parser.add_argument("--format", required=True, choices=services.FORMATS)

    def handle(self, *args: Any, **options: Any) -> None:
        subject = subject_from_options(options["subject"], options["exam"])
        data, not_written = services.items_export(subject=subject, fmt=options["format"])
        Path(options["out"]).write_bytes(data)
        for name in not_written:
            self.stderr.write(f"not written (the format cannot hold it): {name}")
        self.stdout.write(f"{options['out']}: {len(data):,} bytes ({options['format']}).")
