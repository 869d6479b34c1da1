"""The exam client (lockdown browser): each exam's client policy, and the environment
reports the client sends for an attempt."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from examhall.core.models import BaseModel
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam
from examhall.lockdown import catalogue, signature

version_validator = RegexValidator(signature.VERSION, _("Enter a version such as 0.1.0."))


class Rule(models.TextChoices):
    REFUSE = "refuse", _("Refuse (the candidate must fix it)")
    WARN = "warn", _("Warn (shown, not blocking)")
    ALLOW = "allow", _("Allow")


class ClientPolicy(BaseModel):
    """How an exam uses the exam client. Without a row, plain browsers are allowed."""

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="client_policy",
                                verbose_name=_("exam"))
    requires_client = models.BooleanField(
        _("requires the exam client"), default=True,
        help_text=_("Every request of the candidate's computer must come from the exam "
                    "client; plain browsers are refused."))
    client_key = models.CharField(
        _("client key"), max_length=64, default=signature.generate_key, editable=False,
        help_text=_("The key the client signs its requests with (given to the client "
                    "through the policy API)."))
    min_client_version = models.CharField(
        _("minimum client version"), max_length=20, default="0.1.0",
        validators=[version_validator])
    forbidden_processes = models.JSONField(
        _("forbidden software"), default=list, blank=True,
        help_text=_("Empty: the built-in list. Otherwise a list of built-in ids (e.g. "
                    "\"wechat\") and/or entries {\"id\", \"name\", \"category\", \"advice\", "
                    "\"match\": {\"windows\": [...], \"macos\": [...], \"linux\": [...]}}."))
    allowed_processes = models.JSONField(
        _("allowed software"), default=list, blank=True,
        help_text=_("Process names never reported even if forbidden (e.g. the meeting app "
                    "the exam office uses: \"wemeetapp.exe\")."))
    max_displays = models.PositiveSmallIntegerField(_("displays allowed"), default=1)
    allow_mirrored = models.BooleanField(_("allow mirrored displays (projectors)"),
                                         default=False)
    virtual_machine = models.CharField(_("virtual machine"), max_length=10,
                                       choices=Rule.choices, default=Rule.REFUSE)
    remote_session = models.CharField(_("remote desktop session"), max_length=10,
                                      choices=Rule.choices, default=Rule.REFUSE)
    battery_min_percent = models.PositiveSmallIntegerField(
        _("minimum battery (%) when not charging"), default=20,
        help_text=_("0: no battery rule."))
    recheck_interval_seconds = models.PositiveSmallIntegerField(
        _("re-check interval during the exam (seconds)"), default=30)

    class Meta:
        verbose_name = _("client policy")
        verbose_name_plural = _("client policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(max_displays__gte=1),
                                   name="client_policy_max_displays_min"),
            models.CheckConstraint(condition=models.Q(battery_min_percent__lte=100),
                                   name="client_policy_battery_max"),
            models.CheckConstraint(condition=models.Q(recheck_interval_seconds__gte=10),
                                   name="client_policy_recheck_min"),
            models.CheckConstraint(
                condition=models.Q(virtual_machine__in=Rule.values)
                & models.Q(remote_session__in=Rule.values),
                name="client_policy_rules_known"),
        ]

    def __str__(self) -> str:
        return str(self.exam)

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.forbidden_processes, list):
            errors["forbidden_processes"] = _("Enter a list.")
        else:
            for entry in self.forbidden_processes:
                problem = _entry_problem(entry)
                if problem:
                    errors["forbidden_processes"] = problem
                    break
        if not isinstance(self.allowed_processes, list) or not all(
                isinstance(name, str) and name.strip() for name in self.allowed_processes):
            errors["allowed_processes"] = _("Enter a list of process names.")
        if errors:
            raise ValidationError(errors)


def _entry_problem(entry: object) -> str:
    if isinstance(entry, str):
        if entry not in catalogue.BY_ID:
            return str(_("Unknown built-in entry “%(id)s”.") % {"id": entry})
        return ""
    if not isinstance(entry, dict):
        return str(_("Each entry is a built-in id or an object."))
    if not all(isinstance(entry.get(key), str) and entry.get(key)
               for key in ("id", "name", "advice")):
        return str(_("A custom entry needs an id, a name and advice."))
    if entry.get("category", "other") not in catalogue.CATEGORIES:
        return str(_("Unknown category “%(category)s”.") % {"category": entry.get("category")})
    match = entry.get("match")
    if not isinstance(match, dict) or set(match) - set(catalogue.OPERATING_SYSTEMS) or not all(
            isinstance(names, list) and all(isinstance(n, str) for n in names)
            for names in match.values()):
        return str(_("“match” maps windows/macos/linux to lists of process names."))
    return ""


class ClientEnvironmentReport(BaseModel):
    """What the exam client found on the candidate's computer at one check, and what
    changed since the previous report of the attempt."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE,
                                related_name="client_reports", verbose_name=_("attempt"))
    received_at = models.DateTimeField(_("received at"))
    attempt_state = models.CharField(_("attempt state then"), max_length=20)
    client_version = models.CharField(_("client version"), max_length=20)
    os = models.CharField(_("operating system"), max_length=10)
    checked_at = models.DateTimeField(_("checked at (client clock)"))
    passed = models.BooleanField(_("passed"))
    problems = models.JSONField(_("problems"), default=list, blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    appeared = models.JSONField(_("problems that appeared"), default=list, blank=True)
    resolved = models.JSONField(_("problems that were resolved"), default=list, blank=True)

    class Meta:
        verbose_name = _("client environment report")
        verbose_name_plural = _("client environment reports")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["attempt", "-received_at"],
                                name="client_report_latest")]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.received_at:%Y-%m-%d %H:%M:%S}"
