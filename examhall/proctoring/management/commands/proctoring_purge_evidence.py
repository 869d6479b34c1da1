from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from examhall.proctoring import services


class Command(BaseCommand):
    help = ("Delete the snapshot images and audio clips of exams past their retention "
            "period. Dry run unless --apply.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true",
                            help="Delete for real (default: only print what would go).")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.evidence_purge(apply=options["apply"])
        verb = "Deleted" if report.applied else "Would delete"
        for exam in report.exams:
            self.stdout.write(
                f"{verb} {exam.images} images and {exam.audio_clips} audio clips "
                f"({exam.bytes} bytes) of exam {exam.exam_code} "
                f"(ended {exam.ended_at:%Y-%m-%d}, kept {exam.retention_days} days).")
        self.stdout.write(f"{verb} {report.images} images and {report.audio_clips} audio "
                          "clips in total"
                          + ("." if report.applied else "; run with --apply to delete them."))
