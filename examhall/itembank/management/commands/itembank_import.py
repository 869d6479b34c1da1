import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from examhall.core.errors import ApplicationError
from examhall.itembank import services
from examhall.itembank.formats.interchange import MAX_FILE_BYTES
from examhall.itembank.management.commands._subject import subject_from_options


class Command(BaseCommand):
    help = ("Import questions from Excel, IMS QTI 2.1/3.0, Moodle XML or GIFT into a subject. "
            "Prints one line per item; exits 1 when any item was skipped or failed.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--subject", required=True, help="subject code")
        parser.add_argument("--exam", help="exam code, when several exams have the subject code")
        parser.add_argument("--format", default="auto", choices=["auto", *services.FORMATS])
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--all-or-nothing", action="store_true",
                            help="write nothing when any item has an error")
        parser.add_argument("--json", action="store_true", help="the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB.")
        subject = subject_from_options(options["subject"], options["exam"])
        try:
            report = services.items_import(
                subject=subject, data=path.read_bytes(), filename=path.name,
                fmt=options["format"], commit=not options["dry_run"],
                all_or_nothing=options["all_or_nothing"],
            )
        except ApplicationError as error:
            if options["json"]:
                self.stdout.write(json.dumps({"error": error.as_dict()}, ensure_ascii=False))
            raise CommandError(str(error.message)) from error
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for line in report.lines:
                detail = f" [{line.code}] {line.message}" if line.code else ""
                self.stdout.write(f"{line.status:8} {line.location} {line.name}{detail}")
            verb = "imported" if report.committed else "would be imported (dry run)"
            self.stdout.write(f"{report.count('imported')} {verb}, {report.count('skipped')} "
                              f"skipped, {report.count('error')} errors ({report.format}).")
        if not report.clean:
            raise SystemExit(1)
