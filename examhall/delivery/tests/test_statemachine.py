"""Every allowed transition is carried out with an audit event; every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from examhall.core.errors import ApplicationError
from examhall.delivery import services, statemachine
from examhall.delivery.models import Attempt, AttemptEvent, AttemptState
from examhall.devtools import factories

pytestmark = pytest.mark.django_db

ALL_STATES = [state.value for state in AttemptState]
ALLOWED = sorted(statemachine.TRANSITIONS)
REFUSED = sorted(
    (a, b) for a, b in itertools.product(ALL_STATES, ALL_STATES)
    if (a, b) not in statemachine.TRANSITIONS
)


@pytest.fixture
def attempt() -> Attempt:
    _e, _s, _se, _r, [(registration, _id)] = factories.make_sitting()
    return Attempt.objects.create(registration=registration)


@pytest.mark.parametrize("from_state,to_state", ALLOWED)
def test_allowed_transition_changes_state_and_writes_event(attempt, from_state, to_state):
    Attempt.objects.filter(pk=attempt.pk).update(state=from_state)

    services.transition(attempt_id=attempt.pk, to_state=to_state, reason="because")

    attempt.refresh_from_db()
    assert attempt.state == to_state
    event = AttemptEvent.objects.get(attempt=attempt)
    assert (event.from_state, event.to_state, event.reason) == (from_state, to_state, "because")
    assert event.actor_label == "candidate"


@pytest.mark.parametrize("from_state,to_state", REFUSED)
def test_refused_transition_changes_nothing(attempt, from_state, to_state):
    Attempt.objects.filter(pk=attempt.pk).update(state=from_state)

    with pytest.raises(ApplicationError) as error:
        services.transition(attempt_id=attempt.pk, to_state=to_state)

    assert error.value.code == "transition_not_allowed"
    assert error.value.status == 409
    attempt.refresh_from_db()
    assert attempt.state == from_state
    assert not AttemptEvent.objects.filter(attempt=attempt).exists()


def test_table_covers_the_documented_lifecycle():
    must_allow = {
        ("registered", "checking"), ("checking", "ready"), ("ready", "in_progress"),
        ("in_progress", "paused"), ("paused", "in_progress"), ("in_progress", "submitted"),
        ("submitted", "graded"), ("in_progress", "voided"),
    }
    must_refuse = {
        ("registered", "in_progress"), ("checking", "in_progress"), ("submitted", "in_progress"),
        ("graded", "submitted"), ("voided", "registered"), ("graded", "in_progress"),
    }
    assert must_allow <= set(statemachine.TRANSITIONS)
    assert not must_refuse & set(statemachine.TRANSITIONS)


def test_submit_records_reason_and_grades(attempt):
    services.attempt_start(attempt_id=attempt.pk)
    services.attempt_submit(attempt_id=attempt.pk, reason="time_up")
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.submit_reason == "time_up"
    states = list(AttemptEvent.objects.filter(attempt=attempt).values_list("to_state", flat=True))
    assert states == ["checking", "ready", "in_progress", "submitted", "graded"]
