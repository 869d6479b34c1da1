"""The exam client's environment report: strict validation, the "environment" check,
and problems that appear and disappear during the exam (proctoring flags)."""

from __future__ import annotations

import datetime as dt

import pytest

from examhall.core import clock
from examhall.delivery.models import Attempt
from examhall.exams.models import Exam
from examhall.lockdown.models import ClientEnvironmentReport
from examhall.lockdown.tests.helpers import (
    SECOND_DISPLAY,
    WECHAT,
    ExamClientUser,
    client_exam,
    report,
)
from examhall.proctoring.models import Flag

pytestmark = pytest.mark.django_db

ENVIRONMENT = [Exam.Check.ENVIRONMENT]


def _signed_in(**options) -> ExamClientUser:
    _exam, policy, registration, id_number = client_exam(**options)
    user = ExamClientUser(registration, id_number, key=policy.client_key if policy else None)
    assert user.login().status_code == 200
    return user


def _send(user: ExamClientUser, body: dict, **extra):
    return user.post_json(user.attempt_path("/client-environment"), body, **extra)


def _checks(user: ExamClientUser) -> dict[str, dict]:
    view = user.post_json(user.attempt_path("/checks")).json()
    return {check["name"]: check for check in view["checks"]}


@pytest.mark.parametrize(("change", "field"), [
    ({"schema": 2}, "schema"),
    ({"os": "amiga"}, "os"),
    ({"client_version": "latest"}, "client_version"),
    ({"checked_at": "2026-11-26T08:00:00"}, "checked_at"),
    ({"passed": "yes"}, "passed"),
    ({"problems": [{**WECHAT, "code": "bad_code"}]}, "problems.0.code"),
    ({"problems": [{**WECHAT, "extra": 1}]}, "problems.0.extra"),
    ({"problems": [WECHAT], "passed": True}, ""),
    ({"unknown": 1}, "unknown"),
    ({"facts": {"display_count": -1}}, "facts.display_count"),
], ids=["schema", "os", "version", "naive-time", "passed-not-bool", "unknown-code",
        "problem-extra-field", "passed-with-blocking-problem", "extra-field",
        "negative-displays"])
def test_a_malformed_report_is_refused_with_the_field_named(change, field):
    user = _signed_in()

    response = _send(user, {**report(), **change})

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in [item["field"] for item in error["details"]["fields"]]
    assert not ClientEnvironmentReport.objects.exists()


def test_a_report_that_is_not_json_is_a_clear_400_not_a_500():
    user = _signed_in()
    path = user.attempt_path("/client-environment")
    from examhall.lockdown.tests.helpers import sign_headers

    response = user.client.post(path, "{not json", content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {user.token}",
                                **sign_headers(user.key, "POST", path, b"{not json"))

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


def test_an_unsigned_report_is_refused():
    user = _signed_in()
    user.key = None

    response = _send(user, report())

    assert response.status_code == 403 and response.json()["code"] == "client_required"


def test_the_environment_check_turns_green_when_a_passing_report_arrives():
    user = _signed_in(required_checks=ENVIRONMENT)
    assert _checks(user)["environment"]["passed"] is False

    failing = _send(user, report(problems=[WECHAT]))
    assert failing.status_code == 200, failing.content
    check = _checks(user)["environment"]
    assert check["passed"] is False and "请退出微信" in check["detail"]

    response = _send(user, report())

    assert response.status_code == 200
    assert response.json()["resolved"][0]["subject"] == "wechat"
    assert Attempt.objects.get(pk=user.attempt_id).state == "ready"  # re-evaluated at once
    assert _checks(user)["environment"]["passed"] is True


def test_an_old_report_no_longer_passes_the_check():
    user = _signed_in(required_checks=ENVIRONMENT, recheck_interval_seconds=30)
    assert _send(user, report()).status_code == 200
    assert _checks(user)["environment"]["passed"] is True

    clock.shift(dt.timedelta(seconds=91))

    assert _checks(user)["environment"]["passed"] is False


def test_an_exam_that_does_not_require_the_client_passes_the_check_without_a_report():
    user = _signed_in(requires_client=None, required_checks=ENVIRONMENT)

    assert _checks(user)["environment"]["passed"] is True


def test_a_forbidden_program_started_during_the_exam_is_flagged_then_resolved():
    user = _signed_in()
    assert _send(user, report()).status_code == 200
    user.start()

    appeared = _send(user, report(problems=[WECHAT]), HTTP_ACCEPT_LANGUAGE="en")

    assert appeared.status_code == 200, appeared.content
    body = appeared.json()
    assert body["in_exam"] is True and body["passed"] is False
    assert [p["subject"] for p in body["appeared"]] == ["wechat"]
    assert "WeChat / 微信" in body["message"] and "请退出微信" in body["message"]
    assert "proctor" in body["message"] and body["level"] == "danger"
    flag = Flag.objects.get(attempt_id=user.attempt_id)
    assert (flag.type, flag.category, flag.severity, flag.count) == (
        "forbidden_software", "device", "high", 1)
    assert flag.details["problems"][0]["subject"] == "wechat"

    clock.shift(dt.timedelta(seconds=30))
    still = _send(user, report(problems=[WECHAT])).json()
    assert still["appeared"] == [] and still["message"] == ""
    clock.shift(dt.timedelta(seconds=30))
    resolved = _send(user, report(), HTTP_ACCEPT_LANGUAGE="en").json()

    assert [p["subject"] for p in resolved["resolved"]] == ["wechat"]
    assert resolved["level"] == "success" and "WeChat" in resolved["message"]
    latest = ClientEnvironmentReport.objects.filter(attempt_id=user.attempt_id).first()
    assert latest.resolved[0]["subject"] == "wechat"
    flag.refresh_from_db()
    assert flag.count == 1 and flag.last_at == latest.received_at  # the episode ended here
    assert flag.last_at - flag.first_at >= dt.timedelta(seconds=60)


def test_an_extra_display_during_the_exam_is_a_medium_flag():
    user = _signed_in()
    user.start()

    _send(user, report(problems=[SECOND_DISPLAY]))

    flag = Flag.objects.get(attempt_id=user.attempt_id)
    assert (flag.type, flag.severity) == ("extra_display", "medium")


def test_problems_before_the_start_raise_no_flag():
    user = _signed_in()

    response = _send(user, report(problems=[WECHAT]))

    assert response.json()["in_exam"] is False
    assert not Flag.objects.exists()


def test_the_reports_that_changed_something_are_listed_for_a_timeline():
    from examhall.lockdown import selectors

    user = _signed_in()
    _send(user, report())
    _send(user, report(problems=[WECHAT]))
    _send(user, report(problems=[WECHAT]))
    _send(user, report())

    attempt = Attempt.objects.get(pk=user.attempt_id)
    changes = selectors.reports_with_changes(attempt=attempt)

    assert [(len(r.appeared), len(r.resolved)) for r in changes] == [(0, 1), (1, 0)]


def test_a_client_that_reports_too_often_is_slowed_down(monkeypatch):
    from examhall.lockdown import ratelimits

    monkeypatch.setattr(ratelimits, "REPORT_RATE", "2/10m")
    user = _signed_in()
    assert [_send(user, report()).status_code for _ in range(3)] == [200, 200, 429]
    assert _send(user, report()).json()["error"]["code"] == "too_many_requests"
