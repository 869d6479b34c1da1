import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from examhall.proctoring import selectors


class Command(BaseCommand):
    help = ("How far snapshot analysis lags behind: pictures waiting and the age of the "
            "oldest. Exit status 1 when the oldest waits longer than --warn-seconds.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument("--warn-seconds", type=float, default=120.0,
                            help="Exit with status 1 beyond this age (default 120).")

    def handle(self, *args: Any, **options: Any) -> None:
        lag = selectors.analysis_lag()
        if options["json"]:
            self.stdout.write(json.dumps({"pending": lag.pending,
                                          "oldest_pending_seconds":
                                              round(lag.oldest_pending_seconds, 1)}))
        else:
            self.stdout.write(f"{lag.pending} snapshots waiting; the oldest for "
                              f"{lag.oldest_pending_seconds:.0f} s.")
        if lag.oldest_pending_seconds > options["warn_seconds"]:
            raise SystemExit(1)
