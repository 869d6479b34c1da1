"""Marks per question and the result of an attempt."""

from __future__ import annotations

from django.conf import settings
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


class Marking(models.Model):
    """One grader's mark of one essay answer. Round 1 (and 2 with double marking)
    are independent; round 3 arbitrates when the two differ by more than the
    paper's threshold. The final mark becomes the question's ``QuestionMark``."""

    class Round(models.IntegerChoices):
        FIRST = 1, _("First marking")
        SECOND = 2, _("Second marking")
        ARBITRATION = 3, _("Arbitration")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="markings")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"), choices=Round.choices)
    maximum = models.DecimalField(_("maximum"), max_digits=6, decimal_places=2)
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="markings", verbose_name=_("grader"),
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True,
                                blank=True)
    comment = models.TextField(_("comment"), blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    marked_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("marking")
        verbose_name_plural = _("markings")
        ordering = ["question", "attempt", "round"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question", "round"],
                                    name="marking_one_per_round"),
        ]
        permissions = [("mark_answers", _("Can mark essay answers"))]

    def __str__(self) -> str:
        return f"{self.question_id} · {self.get_round_display()}"
