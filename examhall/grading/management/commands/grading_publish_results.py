from typing import Any

from django.core.management.base import BaseCommand, CommandError

from examhall.exams.models import Exam
from examhall.grading import results


class Command(BaseCommand):
    help = "Publish an exam's results: candidates can then look them up (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--exam", required=True, help="exam code")

    def handle(self, *args: Any, **options: Any) -> None:
        exam = Exam.objects.filter(code=options["exam"]).first()
        if exam is None:
            raise CommandError(f"There is no exam with the code “{options['exam']}”.")
        exam = results.results_publish(exam=exam)
        self.stdout.write(f"Results of {exam.code} published at {exam.results_published_at}.")
