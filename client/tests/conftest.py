"""Client tests: plain pytest, no Django (client/pyproject.toml is their configuration)."""

from __future__ import annotations

import pytest
from policy_samples import make_policy

from examhall_client.policy import ClientPolicy


@pytest.fixture
def policy() -> ClientPolicy:
    return make_policy()
