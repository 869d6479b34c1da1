"""Reads for candidates and registrations (the roster import's look-ups in bulk)."""

from __future__ import annotations

import hmac
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from examhall.candidates import idnumbers
from examhall.candidates.models import Candidate, Registration
from examhall.candidates.roster import match_key
from examhall.core import pii
from examhall.core.errors import ApplicationError
from examhall.exams.models import Exam, Room, Session, Subject

_CHUNK = 500


@dataclass
class ExamCatalogue:
    """An exam's subjects, sessions and rooms, found by loosely matched names.

    A key shared by two different objects maps to ``None``: ambiguous."""

    subjects: dict[str, Subject | None] = field(default_factory=dict)
    sessions: dict[str, Session | None] = field(default_factory=dict)
    rooms: dict[tuple[str, str], Room] = field(default_factory=dict)
    room_sessions: dict[str, list[str]] = field(default_factory=dict)
    subject_names: list[str] = field(default_factory=list)
    session_names: list[str] = field(default_factory=list)

    def subject(self, text: str) -> Subject | None:
        return self.subjects.get(match_key(text))

    def session(self, text: str) -> Session | None:
        return self.sessions.get(match_key(text))

    def room(self, session: Session, text: str) -> Room | None:
        return self.rooms.get((str(session.pk), match_key(text)))

    def sessions_with_room(self, text: str) -> list[str]:
        return self.room_sessions.get(match_key(text), [])


def _put(index: dict, key: str, value: object) -> None:
    if key in index and index[key] is not None and index[key].pk != value.pk:
        index[key] = None
    else:
        index.setdefault(key, value)


def exam_catalogue(*, exam: Exam) -> ExamCatalogue:
    catalogue = ExamCatalogue()
    for subject in Subject.objects.filter(exam=exam):
        catalogue.subject_names.append(subject.display_name)
        for text in {subject.code, subject.display_name}:
            _put(catalogue.subjects, match_key(text), subject)
    for session in Session.objects.filter(exam=exam):
        catalogue.session_names.append(session.name)
        _put(catalogue.sessions, match_key(session.name), session)
    for room in Room.objects.filter(session__exam=exam).select_related("session"):
        catalogue.rooms[(str(room.session_id), match_key(room.name))] = room
        catalogue.room_sessions.setdefault(match_key(room.name), []).append(room.session.name)
    return catalogue


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def candidates_by_identity(
    *, identities: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Candidate]:
    """Candidates keyed by ``(id_type, id_number_hash)``."""
    wanted = set(identities)
    found: dict[tuple[str, str], Candidate] = {}
    for hashes in _chunks(sorted({id_hash for _type, id_hash in wanted})):
        for candidate in Candidate.objects.filter(id_number_hash__in=hashes):
            key = (candidate.id_type, candidate.id_number_hash)
            if key in wanted:
                found[key] = candidate
    return found


def candidate_by_id_number(
    *, id_type: str, normalised: str, exclude_pk: object = None
) -> Candidate | None:
    queryset = Candidate.objects.filter(id_type=id_type, id_number_hash=pii.lookup_hash(normalised))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.first()


def registrations_by_candidate_subject(
    *, exam: Exam, candidate_ids: Iterable[object]
) -> dict[tuple[str, str], Registration]:
    """The exam's registrations keyed by ``(candidate id, subject id)`` as strings."""
    found: dict[tuple[str, str], Registration] = {}
    for ids in _chunks(sorted({str(pk) for pk in candidate_ids})):
        for registration in Registration.objects.filter(exam=exam, candidate_id__in=ids):
            found[(str(registration.candidate_id), str(registration.subject_id))] = registration
    return found


def registrations_by_ticket(
    *, exam: Exam, tickets: Iterable[str]
) -> dict[str, Registration]:
    found: dict[str, Registration] = {}
    for chunk in _chunks(sorted(set(tickets))):
        queryset = Registration.objects.filter(exam=exam, ticket_number__in=chunk)
        for registration in queryset.select_related("candidate", "subject"):
            found[registration.ticket_number] = registration
    return found


def highest_ticket_sequence(*, exam: Exam, prefix: str) -> int:
    """The largest ``n`` among the exam's tickets of the form ``prefix + digits``."""
    pattern = re.compile(re.escape(prefix) + r"(\d{6,})")
    tickets = Registration.objects.filter(exam=exam, ticket_number__startswith=prefix)
    numbers = [
        int(match.group(1))
        for ticket in tickets.values_list("ticket_number", flat=True)
        if (match := pattern.fullmatch(ticket))
    ]
    return max(numbers, default=0)


def ticket_taken(*, exam: Exam, ticket_number: str, exclude_pk: object = None) -> bool:
    queryset = Registration.objects.filter(exam=exam, ticket_number=ticket_number)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def room_occupancy(*, room_ids: Iterable[object]) -> Counter[str]:
    rows = (
        Registration.objects.filter(room_id__in=list(room_ids))
        .values("room_id")
        .annotate(count=Count("id"))
    )
    return Counter({str(row["room_id"]): row["count"] for row in rows})


def id_number_hash_for_search(term: str) -> str | None:
    """The look-up hash of a search term that could be a whole ID number, else None."""
    normalised = idnumbers.normalise(term)
    return pii.lookup_hash(normalised) if len(normalised) >= 5 else None


def candidate_search(*, queryset: QuerySet[Candidate], term: str) -> QuerySet[Candidate]:
    """Candidates whose name contains ``term`` or whose ID number is exactly ``term``."""
    condition = Q(name__icontains=term.strip())
    if id_hash := id_number_hash_for_search(term):
        condition |= Q(id_number_hash=id_hash)
    return queryset.filter(condition)


def registration_search(
    *, queryset: QuerySet[Registration], term: str
) -> QuerySet[Registration]:
    """Registrations by ticket number, candidate name, or exact candidate ID number."""
    text = term.strip()
    condition = Q(ticket_number__iexact=text) | Q(candidate__name__icontains=text)
    if id_hash := id_number_hash_for_search(term):
        condition |= Q(candidate__id_number_hash=id_hash)
    return queryset.filter(condition)


def registration_for_ticket_and_id(*, exam: Exam, ticket_number: str, id_number: str
                                   ) -> Registration:
    """The registration whose admission ticket and ID number match (sign-in, result
    look-up). One refusal for a wrong ticket and a wrong ID alike, so that neither
    can be probed on its own; the ID is compared by its keyed hash."""
    wrong_pair = ApplicationError(
        "login_failed",
        _("The admission ticket number and ID number do not match a registration of "
          "this exam. Check both numbers and try again."),
        status=401,
    )
    normalised = idnumbers.normalise(id_number)
    registration = (
        Registration.objects.select_related("candidate", "subject", "session", "room", "exam")
        .filter(exam=exam, ticket_number=idnumbers.normalise(ticket_number))
        .first()
    )
    if registration is None or not normalised:
        raise wrong_pair
    if not hmac.compare_digest(registration.candidate.id_number_hash,
                               pii.lookup_hash(normalised)):
        raise wrong_pair
    return registration


def registration_for_exam_and_id(*, exam_id: object, id_number: str) -> Registration | None:
    """The registration of this exam whose candidate has this ID number (by its keyed
    hash), e.g. to match a photo named after the ID number; None when not exactly one."""
    normalised = idnumbers.normalise(id_number)
    if not normalised:
        return None
    found = list(Registration.objects.select_related("candidate")
                 .filter(exam_id=exam_id, candidate__id_number_hash=pii.lookup_hash(normalised))
                 [:2])
    return found[0] if len(found) == 1 else None
