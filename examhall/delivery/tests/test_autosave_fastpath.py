"""The autosave route as served by the ASGI app (the lean fast path, ADR 0004):
the same rules, errors and localisation as the rest of the API."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from config.asgi import application
from examhall.core import clock
from examhall.delivery import fastpath
from examhall.delivery.models import Answer
from examhall.delivery.tests.helpers import CandidateClient
from examhall.devtools import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _close_save_threads():
    yield
    fastpath.close_pool()  # the test database can only be dropped without them


@pytest.fixture
def started() -> tuple[CandidateClient, list[str]]:
    _e, _s, _se, _r, [(registration, id_number)] = factories.make_sitting()
    candidate = CandidateClient(registration, id_number)
    candidate.login()
    questions = [q["id"] for q in candidate.start()["questions"]]
    return candidate, questions


def _post(candidate: CandidateClient, body: object, *, token: str | None = None,
          attempt_id: str | None = None, language: str = "en") -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(
                f"/api/attempts/{attempt_id or candidate.attempt_id}/answers",
                content=body if isinstance(body, bytes) else None,
                json=None if isinstance(body, bytes) else body,
                headers={"Authorization": f"Bearer {token or candidate.token}",
                         "Accept-Language": language},
            )

    return _run(go)


def _run(make_coroutine):
    """Run a coroutine on a fresh event loop in its own thread (another loop, e.g. the
    browser tests' Playwright, may already be running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make_coroutine()).result()


def _saves(question_id: str, value: list[str], seq: int) -> dict[str, object]:
    return {"saves": [{"question_id": question_id, "value": value, "seq": seq}]}


def test_save_through_asgi_is_stored_and_acknowledged(started):
    candidate, questions = started
    response = _post(candidate, _saves(questions[0], ["B"], 4))
    assert response.status_code == 200
    assert response.json()["acknowledged_seq"] == 4
    assert "server_now" in response.json()
    assert Answer.objects.get(question_id=questions[0]).value == ["B"]


def test_older_seq_through_asgi_does_not_overwrite(started):
    candidate, questions = started
    _post(candidate, _saves(questions[0], ["C"], 5))
    _post(candidate, _saves(questions[0], ["D"], 3))
    assert Answer.objects.get(question_id=questions[0]).value == ["C"]


def test_bad_token_is_401_in_the_common_error_shape(started):
    candidate, questions = started
    response = _post(candidate, _saves(questions[0], ["B"], 1), token="forged")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_other_attempt_is_404_and_nothing_written():
    _e, _s, _se, _r, people = factories.make_sitting(candidates=2)
    alice, bob = CandidateClient(*people[0]), CandidateClient(*people[1])
    for person in (alice, bob):
        person.login()
    bob_questions = [q["id"] for q in bob.start()["questions"]]
    response = _post(alice, _saves(bob_questions[0], ["B"], 1), attempt_id=bob.attempt_id)
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_malformed_body_is_422_naming_the_field(started):
    candidate, questions = started
    response = _post(candidate, {"saves": [{"question_id": questions[0], "value": ["A"]}]})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "saves.0.seq"
    assert _post(candidate, b"{not json").status_code == 422


def test_oversized_body_is_refused(started):
    candidate, _questions = started
    response = _post(candidate, b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413


def test_after_deadline_the_refusal_is_localised(started):
    candidate, questions = started
    clock.shift(dt.timedelta(hours=2))
    english = _post(candidate, _saves(questions[0], ["B"], 1), language="en")
    chinese = _post(candidate, _saves(questions[0], ["B"], 2), language="zh-CN")
    assert english.status_code == chinese.status_code == 409
    assert english.json()["error"]["code"] == "deadline_passed"
    assert english.json()["error"]["message"] != chinese.json()["error"]["message"]
    assert chinese.headers["content-language"] == "zh-hans"


def test_a_database_failure_is_a_503_the_page_retries(started, monkeypatch):
    candidate, questions = started

    def broken(**kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(fastpath.services, "answers_save", broken)
    response = _post(candidate, _saves(questions[0], ["B"], 1), language="zh-CN")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "temporarily_unavailable"


def test_other_routes_still_reach_django(started):
    candidate, _questions = started

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(f"/api/attempts/{candidate.attempt_id}",
                                    headers={"Authorization": f"Bearer {candidate.token}"})

    response = _run(go)
    assert response.status_code == 200
    assert response.json()["state"] == "in_progress"




def test_a_browser_replaced_by_an_allowed_reentry_saves_nothing(started):
    """One browser at a time: once the candidate signs in again elsewhere with the
    proctor's permission, the first browser's saves are refused, not written."""
    from examhall.delivery.models import Attempt
    from examhall.exams.models import Exam

    first, questions = started
    assert _post(first, _saves(questions[0], ["A"], 1)).status_code == 200
    attempt = Attempt.objects.select_related("registration").get(pk=first.attempt_id)
    Exam.objects.filter(pk=attempt.registration.exam_id).update(reentry_needs_approval=True)
    Attempt.objects.filter(pk=attempt.pk).update(
        reentry_allowed_until=clock.now() + dt.timedelta(minutes=5))
    second = CandidateClient(first.registration, first.id_number)
    assert second.login().status_code == 200

    for seq, body in ((2, _saves(questions[0], ["B"], 2)),  # one change: the lean statement
                      (3, {"saves": [{"question_id": questions[0], "value": ["C"], "seq": 3},
                                     {"question_id": questions[1], "value": ["C"], "seq": 4}]})):
        refused = _post(first, body, language="zh-hans")
        assert refused.status_code == 401, seq
        assert refused.json()["error"]["code"] == "signed_in_elsewhere"
        assert "另一" in refused.json()["error"]["message"]
    assert Answer.objects.get(question_id=questions[0]).value == ["A"]
    assert not Answer.objects.filter(question_id=questions[1]).exists()
    assert _post(second, _saves(questions[0], ["D"], 5)).status_code == 200
    assert Answer.objects.get(question_id=questions[0]).value == ["D"]
