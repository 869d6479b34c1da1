"""The gate: for an exam that requires the exam client, every request of the candidate's
computer must be signed; a mock exam (no policy) takes plain browsers; the help centre,
the policy API, static files, the phone's pages and staff pages are never asked."""

from __future__ import annotations

import pytest

from examhall.lockdown.models import ClientPolicy
from examhall.lockdown.tests.helpers import ExamClientUser, client_exam, sign_headers

pytestmark = pytest.mark.django_db


def _signed_in(**policy):
    exam, client_policy, registration, id_number = client_exam(**policy)
    user = ExamClientUser(registration, id_number, key=client_policy.client_key)
    assert user.login().status_code == 200
    return exam, client_policy, user


def _browser_like(user: ExamClientUser) -> ExamClientUser:
    """The same browser session, but without the client's signature."""
    user.key = None
    return user


def _assert_client_required_page(response):
    assert response.status_code == 403
    page = response.content.decode()
    assert 'href="/help/client/"' in page and 'id="client-required-title"' in page


def _assert_client_required_json(response, code="client_required"):
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == code and body["message"]
    assert body["error"]["code"] == code and body["download_url"] == "/help/client/"


def test_the_entry_and_login_pages_need_the_client():
    exam, policy, registration, id_number = client_exam()
    browser = ExamClientUser(registration, id_number, key=None)
    client = ExamClientUser(registration, id_number, key=policy.client_key)
    entry = f"/exam/{exam.code}/"
    login = f"/exam/{exam.code}/login/"
    query = f"subject={registration.subject.code}"

    _assert_client_required_page(browser.get(entry))
    _assert_client_required_page(browser.get(login, query=query))
    assert client.get(entry).status_code == 200
    assert client.get(login, query=query).status_code == 200


def test_the_refusal_page_speaks_the_candidates_language():
    exam, _policy, registration, id_number = client_exam()
    browser = ExamClientUser(registration, id_number, key=None)

    english = browser.get(f"/exam/{exam.code}/", HTTP_ACCEPT_LANGUAGE="en")

    assert "Please use the exam client to take this exam" in english.content.decode()
    assert english["Content-Language"] == "en"


def test_the_login_api_needs_the_client():
    _exam, policy, registration, id_number = client_exam()

    _assert_client_required_json(ExamClientUser(registration, id_number, key=None).login())
    assert ExamClientUser(registration, id_number, key=policy.client_key).login(
    ).status_code == 200


def test_the_pages_and_api_of_a_signed_in_attempt_need_the_client():
    _exam, _policy, user = _signed_in()
    assert user.get("/attempt/check/").status_code == 200
    assert user.get(user.attempt_path()).status_code == 200
    assert user.post_json(user.attempt_path("/checks")).status_code == 200

    _browser_like(user)

    _assert_client_required_page(user.get("/attempt/check/"))
    _assert_client_required_json(user.get(user.attempt_path()))
    _assert_client_required_json(user.post_json(user.attempt_path("/checks")))


def test_a_signature_for_another_url_or_body_is_refused():
    _exam, policy, user = _signed_in()
    path = user.attempt_path("/checks")
    other_url = sign_headers(policy.client_key, "POST", user.attempt_path("/start"), b"{}")
    other_body = sign_headers(policy.client_key, "POST", path, b'{"x": 1}')
    other_key = sign_headers("A" * 43, "POST", path, b"{}")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}

    for headers in (other_url, other_body, other_key):
        response = user.client.post(path, "{}", content_type="application/json",
                                    **headers, **auth)
        _assert_client_required_json(response)


def test_autosave_through_django_needs_the_client():
    _exam, _policy, user = _signed_in()
    questions = user.start()["questions"]
    save = {"saves": [{"question_id": questions[0]["id"], "value": ["A"], "seq": 1}]}
    assert user.post_json(user.attempt_path("/answers"), save).status_code == 200

    _assert_client_required_json(_browser_like(user).post_json(user.attempt_path("/answers"),
                                                                save))


def test_a_client_below_the_minimum_version_is_told_to_update():
    exam, policy, registration, id_number = client_exam(min_client_version="0.2.0")
    old = ExamClientUser(registration, id_number, key=policy.client_key, version="0.1.9")
    new = ExamClientUser(registration, id_number, key=policy.client_key, version="0.2.0")

    _assert_client_required_json(old.login(), code="client_outdated")
    page = old.get(f"/exam/{exam.code}/")
    assert page.status_code == 403 and "版本过旧" in page.content.decode()
    page = old.get(f"/exam/{exam.code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403 and "out of date" in page.content.decode()
    assert new.login().status_code == 200


@pytest.mark.parametrize("requires_client", [None, False], ids=["no-policy", "not-required"])
def test_an_exam_that_does_not_require_the_client_takes_plain_browsers(requires_client):
    exam, _policy, registration, id_number = client_exam(requires_client=requires_client)
    browser = ExamClientUser(registration, id_number, key=None)
    garbage = {"HTTP_X_EXAMHALL_CLIENT": "v=0.1.0; sig=" + "0" * 64}

    assert browser.get(f"/exam/{exam.code}/", **garbage).status_code == 200
    assert browser.login().status_code == 200
    assert browser.get("/attempt/check/").status_code == 200
    assert browser.get(browser.attempt_path(), **garbage).status_code == 200


@pytest.mark.parametrize("path", [
    "/help/", "/help/client/", "/static/core/api.js", "/i18n/setlang/", "/m/",
    "/favicon.ico", "/",
])
def test_pages_outside_the_exam_are_never_asked(path):
    _exam, _policy, user = _signed_in()
    _browser_like(user)

    response = user.get(path)

    assert response.status_code != 403, path
    assert response.streaming or b"client_required" not in response.content


def test_the_policy_api_and_result_look_up_are_never_asked():
    exam, _policy, user = _signed_in()
    _browser_like(user)

    assert user.get(f"/api/client/exams/{exam.code}/policy").status_code == 200
    assert user.get(f"/results/{exam.code}/").status_code != 403


def test_requiring_the_client_takes_effect_at_once():
    exam, _policy, registration, id_number = client_exam(requires_client=None)
    browser = ExamClientUser(registration, id_number, key=None)
    assert browser.get(f"/exam/{exam.code}/").status_code == 200

    ClientPolicy.objects.create(exam=exam)

    _assert_client_required_page(browser.get(f"/exam/{exam.code}/"))


def test_behind_a_proxy_the_signature_covers_the_public_https_url(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["exam.example.org", "testserver"]
    exam, policy, registration, id_number = client_exam()
    path = f"/exam/{exam.code}/"
    proxy = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "exam.example.org"}
    browser = ExamClientUser(registration, id_number, key=None)

    public = sign_headers(policy.client_key, "GET", path, scheme="https",
                          host="exam.example.org")
    internal = sign_headers(policy.client_key, "GET", path)

    assert browser.client.get(path, **proxy, **public).status_code == 200
    assert browser.client.get(path, **proxy, **internal).status_code == 403
