"""Finding the subject named on the command line (shared by the item-bank commands)."""

from django.core.management.base import CommandError

from examhall.exams.models import Subject


def subject_from_options(code: str, exam_code: str | None) -> Subject:
    subjects = Subject.objects.select_related("exam").filter(code=code)
    if exam_code:
        subjects = subjects.filter(exam__code=exam_code)
    found = list(subjects[:2])
    if not found:
        raise CommandError(f"There is no subject with the code “{code}”"
                           + (f" in exam “{exam_code}”." if exam_code else "."))
    if len(found) > 1:
        raise CommandError(f"Several exams have a subject “{code}”: name one with --exam.")
    return found[0]
