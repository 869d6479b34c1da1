"""Marks per question and the result of an attempt."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.delivery.models import Attempt
from examhall.itembank.models import Question


class AttemptResult(models.Model):
    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, related_name="result", verbose_name=_("attempt")
    )
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2)
    max_score = models.DecimalField(_("maximum score"), max_digits=8, decimal_places=2)
    graded_at = models.DateTimeField(_("graded at"))

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.score} / {self.max_score}"


class QuestionMark(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="marks")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    awarded = models.DecimalField(_("awarded"), max_digits=6, decimal_places=2)
    maximum = models.DecimalField(_("maximum"), max_digits=6, decimal_places=2)
    is_correct = models.BooleanField(_("correct"))

    class Meta:
        verbose_name = _("mark per question")
        verbose_name_plural = _("marks per question")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="mark_one_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.awarded} / {self.maximum}"
