"""Writes for candidates and registrations. Callers import from here.

- ``roster_import``: the roster sheet, judged row by row, written in one transaction.
- ``candidate_*``: single candidates (the admin), ID number reveals.
- ``registration_*`` and ``ticket_number_generate``: single registrations.
"""

from examhall.candidates.services.candidates import (
    REVEAL_PERMISSION,
    candidate_id_number_check,
    candidate_reveal_id_number,
    candidate_save,
)
from examhall.candidates.services.registrations import (
    TICKET_PATTERN,
    registration_problems,
    registration_save,
    ticket_number_generate,
    ticket_prefix,
)
from examhall.candidates.services.roster_import import MODES, Mode, roster_import

__all__ = [
    "MODES",
    "REVEAL_PERMISSION",
    "TICKET_PATTERN",
    "Mode",
    "candidate_id_number_check",
    "candidate_reveal_id_number",
    "candidate_save",
    "registration_problems",
    "registration_save",
    "roster_import",
    "ticket_number_generate",
    "ticket_prefix",
]
