from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from examhall.exams.models import Exam
from examhall.review import exports


class Command(BaseCommand):
    help = ("Export an exam's review summary as an Excel workbook: flags per room and "
            "type, decisions per status, and every attempt to review with its decision.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", help="the .xlsx file to write")
        parser.add_argument("--exam", required=True, help="exam code")

    def handle(self, *args: Any, **options: Any) -> None:
        exam = Exam.objects.filter(code=options["exam"]).first()
        if exam is None:
            raise CommandError(f"There is no exam with the code “{options['exam']}”.")
        data = exports.summary_workbook(exam=exam)
        try:
            Path(options["out"]).write_bytes(data)
        except OSError as error:
            raise CommandError(f"Cannot write {options['out']}: {error.strerror}.") from error
        self.stdout.write(f"{options['out']}: {len(data):,} bytes.")
