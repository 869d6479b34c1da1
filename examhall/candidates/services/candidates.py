"""Single candidates: saving with a validated ID number, and logged reveals."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils.translation import gettext as _

from examhall.candidates import idnumbers, selectors
from examhall.candidates.models import Candidate
from examhall.core.errors import ApplicationError, PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import PermissionsMixin

logger = logging.getLogger(__name__)

REVEAL_PERMISSION = "candidates.reveal_id_number"


def candidate_save(
    *, candidate: Candidate, id_number: str | None = None
) -> idnumbers.IdNumberCheck | None:
    """Create or change a candidate. ``id_number`` None keeps the stored number, which
    is only possible for a known candidate whose ID type does not change.

    Returns the ID number check (its ``warnings`` are worth showing) or None."""
    check = None
    if id_number is None:
        stored = Candidate.objects.filter(pk=candidate.pk).values_list("id_type", flat=True)
        if candidate._state.adding or stored.first() != candidate.id_type:
            raise ApplicationError(
                "id_number_required", _("Enter the ID number (again, to change its type)."),
                details={"field": "id_number"},
            )
    else:
        check = candidate_id_number_check(
            id_number=id_number, id_type=candidate.id_type, exclude_pk=candidate.pk
        )
        candidate.id_type = check.id_type
        candidate.set_id_number(check.normalised)
    with transaction.atomic():
        candidate.save()
    return check


def candidate_id_number_check(
    *, id_number: str, id_type: str, exclude_pk: object = None
) -> idnumbers.IdNumberCheck:
    """Validate an ID number; raise ``ApplicationError`` when it is refused or already
    belongs to another candidate (``exclude_pk``: the candidate being changed)."""
    check = idnumbers.validate(id_number, id_type)
    if not check.ok:
        raise ApplicationError(check.code, check.message, details={"field": "id_number"})
    owner = selectors.candidate_by_id_number(
        id_type=check.id_type, normalised=check.normalised, exclude_pk=exclude_pk
    )
    if owner is not None:
        raise ApplicationError(
            "candidate_exists",
            _("This ID number already belongs to the candidate %(name)s.") % {"name": owner.name},
            details={"field": "id_number"},
        )
    return check


def candidate_reveal_id_number(*, candidate: Candidate, actor: PermissionsMixin) -> str:
    """The clear ID number, for users allowed to see it; every reveal is logged."""
    if not actor.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied(
            "reveal_not_allowed", _("You are not allowed to see full ID numbers.")
        )
    LogEntry.objects.log_actions(
        actor.pk, [candidate], CHANGE, _("Revealed the ID number."), single_object=True
    )
    logger.info("User %s revealed the ID number of candidate %s", actor.pk, candidate.pk)
    return candidate.reveal_id_number()
