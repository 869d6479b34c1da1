"""Seed the bench database: one open exam (one subject, session, room, paper) and
N registered candidates, bulk-created. Prints one JSON line with the exam code,
the subject code and every (ticket number, clear ID number) for logging in.

Run with the server's environment (same PII_KEY), after `manage.py migrate`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from django.db import transaction  # noqa: E402

from examhall.candidates import idnumbers  # noqa: E402
from examhall.candidates.models import Candidate, IdType, Registration  # noqa: E402
from examhall.devtools import factories  # noqa: E402


def bench_id_number(n: int) -> str:
    """A valid, fictitious resident ID number, unique for every n >= 0."""
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=n // 1000)
    first17 = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + idnumbers.check_digit(first17)


def seed(candidates: int, questions: int) -> dict[str, object]:
    with transaction.atomic():
        exam = factories.make_exam(code="bench")
        subject = factories.make_subject(exam=exam, code="BENCH")
        session = factories.make_session(exam=exam, opens_in=dt.timedelta(hours=-1),
                                          length=dt.timedelta(hours=8), duration_minutes=180)
        room = factories.make_room(session=session)
        factories.make_paper(subject=subject, count=questions)
        people = []
        rows = []
        for n in range(candidates):
            id_number = bench_id_number(n)
            candidate = Candidate(name=f"考生{n:05d}", id_type=IdType.RESIDENT_ID)
            candidate.set_id_number(id_number)
            rows.append(candidate)
            people.append((f"B{n:07d}", id_number))
        Candidate.objects.bulk_create(rows, batch_size=1000)
        Registration.objects.bulk_create(
            [
                Registration(candidate=candidate, exam=exam, subject=subject, session=session,
                             room=room, ticket_number=ticket)
                for candidate, (ticket, _id) in zip(rows, people, strict=True)
            ],
            batch_size=1000,
        )
    return {"exam_code": exam.code, "subject_code": subject.code, "people": people}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(seed(args.candidates, args.questions)))


if __name__ == "__main__":
    main()
