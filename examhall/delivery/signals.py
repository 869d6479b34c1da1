"""Signals delivery sends so that later apps react without delivery importing them."""

from django.dispatch import Signal

# Sent inside the submitting transaction with ``attempt``. Grading listens.
attempt_submitted = Signal()
