from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from examhall.exams.models import Exam
from examhall.grading import results


class Command(BaseCommand):
    help = "Export an exam's results as an Excel workbook (per subject or room if asked)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", help="the .xlsx file to write")
        parser.add_argument("--exam", required=True, help="exam code")
        parser.add_argument("--subject", default="", help="only this subject code")
        parser.add_argument("--room", default="", help="only this room name")

    def handle(self, *args: Any, **options: Any) -> None:
        exam = Exam.objects.filter(code=options["exam"]).first()
        if exam is None:
            raise CommandError(f"There is no exam with the code “{options['exam']}”.")
        data = results.results_workbook(exam=exam, subject_code=options["subject"],
                                        room_name=options["room"])
        Path(options["out"]).write_bytes(data)
        self.stdout.write(f"{options['out']}: {len(data):,} bytes.")
