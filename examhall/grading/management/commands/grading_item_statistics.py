import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from examhall.exams.models import Exam
from examhall.grading import results


class Command(BaseCommand):
    help = ("Item statistics after an exam (facility, discrimination, option choices, flags): "
            "as JSON on stdout, or as an Excel workbook with --out.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--exam", required=True, help="exam code")
        parser.add_argument("--out", help="write an .xlsx file instead of JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        exam = Exam.objects.filter(code=options["exam"]).first()
        if exam is None:
            raise CommandError(f"There is no exam with the code “{options['exam']}”.")
        if options["out"]:
            Path(options["out"]).write_bytes(results.item_statistics_workbook(exam=exam))
            self.stdout.write(f"{options['out']} written.")
            return
        reports = [asdict(report) for report in results.item_reports(exam=exam)]
        self.stdout.write(json.dumps(reports, ensure_ascii=False, indent=2))
