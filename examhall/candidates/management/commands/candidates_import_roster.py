"""Import a roster sheet into an exam: ``candidates_import_roster FILE --exam CODE``.

A dry run (``--dry-run``) only prints the report. Exit status 1 when any row was
rejected (and, unless ``--valid-rows-only``, nothing was written), 0 otherwise.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from examhall.candidates.roster import RosterReport
from examhall.candidates.services import roster_import
from examhall.core.errors import ApplicationError
from examhall.exams.models import Exam


class Command(BaseCommand):
    help = "Check a roster xlsx row by row and import it into an exam."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The roster, an .xlsx file.")
        parser.add_argument("--exam", required=True, help="The exam's code.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Only check and report; write nothing.")
        parser.add_argument("--json", action="store_true",
                            help="Print the report as JSON (for scripts).")
        parser.add_argument("--valid-rows-only", action="store_true",
                            help="Import the rows without errors and skip the others "
                                 "(default: import nothing when any row has an error).")

    def handle(self, *args: Any, **options: Any) -> None:
        exam = Exam.objects.filter(code=options["exam"]).first()
        if exam is None:
            known = ", ".join(Exam.objects.order_by("code").values_list("code", flat=True)[:20])
            self._fail(options, ApplicationError(
                "exam_not_found",
                _("There is no exam with the code “%(code)s”. Known codes: %(known)s.")
                % {"code": options["exam"], "known": known or "-"},
            ))
        try:
            report = roster_import(
                exam=exam, file=options["file"], commit=not options["dry_run"],
                mode="valid_rows" if options["valid_rows_only"] else "all_or_nothing",
            )
        except ApplicationError as error:
            self._fail(options, error)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._print_table(report)
        if report.has_errors:
            raise CommandError(self._outcome(report), returncode=1)

    def _fail(self, options: dict[str, Any], error: ApplicationError) -> NoReturn:
        if options["json"]:
            self.stdout.write(json.dumps({"error": error.as_dict()}, ensure_ascii=False))
        raise CommandError(str(error.message), returncode=1)

    def _print_table(self, report: RosterReport) -> None:
        lines = [f"{_('Row'):>6}  {_('Status'):<8} {_('Column'):<16} {_('Problem')}"]
        for row in report.rows:
            for problem in row.problems:
                lines.append(f"{row.row:>6}  {problem.severity:<8} {problem.column:<16} "
                             f"{problem.message}")
        if len(lines) == 1:
            lines.append(_("No problems found."))
        self.stdout.write("\n".join(lines))
        counts = report.counts
        self.stdout.write(
            _("%(total)d rows: %(ok)d ok, %(warnings)d with warnings, %(errors)d with errors. "
              "Registrations created: %(created)d, updated: %(updated)d, unchanged: "
              "%(unchanged)d.") % counts
        )
        if not report.has_errors:
            message = self._outcome(report)
            self.stdout.write(self.style.SUCCESS(message))

    def _outcome(self, report: RosterReport) -> str:
        if report.dry_run:
            if report.has_errors:
                return _("Dry run: some rows have errors; correct them before importing.")
            return _("Dry run: nothing was written. Run again without --dry-run to import.")
        if report.committed and report.has_errors:
            return _("Imported the valid rows; the rows with errors were skipped.")
        if report.has_errors:
            return _("Nothing was imported because some rows have errors. Correct them, or "
                     "use --valid-rows-only to import the other rows.")
        return _("Roster imported.")
