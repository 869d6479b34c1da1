"""Questions (every type, versioned, tagged) and papers."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.core.models import BaseModel
from examhall.exams.models import Subject


class Tag(BaseModel):
    """A knowledge point (知识点) questions are tagged with; rule papers filter on it."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("knowledge point")
        verbose_name_plural = _("knowledge points")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(BaseModel):
    """A question, in one version. Editing a question that was already delivered
    makes a new version (same ``family_id``, ``version`` + 1); attempts keep the
    version they showed. A case question (``kind`` case) holds the shared material
    in ``stem`` and its sub-questions point to it through ``parent``."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True / false")
        FILL_BLANK = "fill_blank", _("Fill in the blanks")
        ESSAY = "essay", _("Short answer / essay")
        CASE = "case", _("Case (material with sub-questions)")

    # Kinds a case may hold, and kinds a paper may hold (a case is delivered as
    # its sub-questions under its material).
    SUB_QUESTION_KINDS = frozenset(
        {Kind.SINGLE, Kind.MULTIPLE, Kind.TRUE_FALSE, Kind.FILL_BLANK, Kind.ESSAY}
    )
    DELIVERABLE_KINDS = SUB_QUESTION_KINDS | {Kind.CASE}

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="questions", verbose_name=_("subject")
    )
    external_key = models.CharField(
        _("external key"), max_length=80, blank=True,
        help_text=_("Stable key from an import or the demo seed; unique per subject when set."),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    stem = models.TextField(_("stem"))
    options = models.JSONField(
        _("options"), default=list, blank=True,
        help_text=_('A list of {"key": "A", "text": "..."}.'),
    )
    answer = models.JSONField(
        _("correct answer"), default=list, blank=True, help_text=_("Correct option keys.")
    )
    blanks = models.JSONField(
        _("blanks"), default=list, blank=True,
        help_text=_('Fill in the blanks: a list of {"key", "answers", "case_sensitive", '
                    '"numeric", "tolerance", "points"}; the stem marks each gap as {{key}}.'),
    )
    reference_answer = models.TextField(_("reference answer"), blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, default=1)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), default=3, help_text=_("1 (easy) to 5 (hard).")
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="questions", verbose_name=_("knowledge points")
    )
    explanation = models.TextField(_("explanation"), blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="sub_questions",
        verbose_name=_("case"),
    )
    position = models.PositiveIntegerField(_("position in the case"), default=0)
    family_id = models.UUIDField(_("question family"), null=True, editable=False,
                                 db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_current = models.BooleanField(_("current version"), default=True, editable=False)
    delivered_at = models.DateTimeField(_("first delivered at"), null=True, blank=True,
                                        editable=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["subject", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "external_key"],
                condition=~models.Q(external_key="") & models.Q(is_current=True),
                name="question_external_key_unique_per_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1) & models.Q(difficulty__lte=5),
                name="question_difficulty_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return self.stem[:60]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.family_id is None:
            self.family_id = self.id  # the first version names the family
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def option_keys(self) -> list[str]:
        return [str(option["key"]) for option in self.options]


class Paper(BaseModel):
    """What a subject's candidates answer: a fixed list of questions, or rules
    (sections) from which each candidate's paper is drawn at start. The active
    one is delivered; the paper each candidate got is frozen into the attempt."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed questions")
        RULES = "rules", _("Drawn by rules for each candidate")

    class MultiplePolicy(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        PARTIAL_SUBSET = "partial_subset", _("Partial credit for right options and no wrong one")
        PER_OPTION = "per_option", _("Per option (each right option earns, each wrong one costs)")

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="papers", verbose_name=_("subject")
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("paper type"), max_length=10, choices=Kind.choices,
                            default=Kind.FIXED)
    shuffle_questions = models.BooleanField(
        _("shuffle questions"), default=False,
        help_text=_("Each candidate sees the questions of each section in another order."),
    )
    shuffle_options = models.BooleanField(
        _("shuffle options"), default=False,
        help_text=_("Each candidate sees the options of choice questions in another order."),
    )
    multiple_choice_policy = models.CharField(
        _("multiple-choice scoring"), max_length=20, choices=MultiplePolicy.choices,
        default=MultiplePolicy.ALL_OR_NOTHING,
    )
    double_marking = models.BooleanField(
        _("double marking"), default=False,
        help_text=_("Each essay answer is marked by two graders independently."),
    )
    arbitration_threshold = models.DecimalField(
        _("arbitration threshold (points)"), max_digits=6, decimal_places=2, default=Decimal("2"),
        help_text=_("When the two marks differ by more, a third grader decides."),
    )
    partial_credit_ratio = models.DecimalField(
        _("share of the points for a correct subset"), max_digits=3, decimal_places=2,
        default=Decimal("0.50"),
        help_text=_("Used by the partial-credit policy, e.g. 0.50 for half the points."),
    )
    questions = models.ManyToManyField(
        Question, through="PaperQuestion", related_name="papers", verbose_name=_("questions")
    )

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = ["subject", "name"]

    def __str__(self) -> str:
        return self.name


class PaperQuestion(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="entries")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("paper question")
        verbose_name_plural = _("paper questions")
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="paper_position_unique"),
            models.UniqueConstraint(fields=["paper", "question"], name="paper_question_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.question_id}"


class PaperSection(models.Model):
    """A rule of a rule-based paper: ``count`` questions of one type, with any of the
    knowledge points (none: any), in a difficulty range, at ``points`` each."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)
    question_kind = models.CharField(_("question type"), max_length=20,
                                     choices=Question.Kind.choices)
    tags = models.ManyToManyField(Tag, blank=True, related_name="+",
                                  verbose_name=_("knowledge points"))
    difficulty_min = models.PositiveSmallIntegerField(_("lowest difficulty"), default=1)
    difficulty_max = models.PositiveSmallIntegerField(_("highest difficulty"), default=5)
    count = models.PositiveIntegerField(_("number of questions"))
    points = models.DecimalField(_("points per question"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("paper section")
        verbose_name_plural = _("paper sections")
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="section_position_unique"),
            models.CheckConstraint(condition=models.Q(count__gt=0), name="section_count_positive"),
        ]

    def __str__(self) -> str:
        return self.name
