"""The GUI's labels: the client's one catalogue (``examhall_client.i18n``), under
``gui.<key>``, and the check names the terminal report uses too.

The environment problems' titles and advice come from the server's policy (already in the
candidate's language) and from the same catalogue.
"""

from __future__ import annotations

from examhall_client import i18n

# Labels the screens share with the terminal report: one wording for both.
_SHARED_KEYS = {
    "loading": "gui.loading_policy", "unreachable_title": "gui.unreachable",
    "check_processes": "check.processes", "check_displays": "check.displays",
    "check_virtual_machine": "check.virtual_machine", "check_remote_session":
    "check.remote_session", "check_battery": "check.battery", "check_policy": "check.policy",
}


def text(key: str, language: str, **values: object) -> str:
    """The label ``key`` in ``language`` (Simplified Chinese when unknown)."""
    return i18n.t(_SHARED_KEYS.get(key, f"gui.{key}"), language, **values)
