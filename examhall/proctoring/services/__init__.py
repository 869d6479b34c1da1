"""Monitoring writes: uploads (snapshots, heartbeats, events), analysis, flags, the
lost-camera check and evidence retention."""

from examhall.proctoring.services.analysis import (
    analyse_snapshot,
    analysis_enqueue,
    analysis_plan,
    analysis_run,
    inspect_snapshot,
)
from examhall.proctoring.services.cameras import cameras_check_lost
from examhall.proctoring.services.flags import EVIDENCE_MAX, flag_raise, flag_touch
from examhall.proctoring.services.retention import PurgeReport, evidence_purge
from examhall.proctoring.services.uploads import (
    EventIn,
    browser_events_record,
    camera_heartbeat,
    snapshot_upload,
)

__all__ = [
    "EVIDENCE_MAX",
    "EventIn",
    "PurgeReport",
    "analyse_snapshot",
    "analysis_enqueue",
    "analysis_plan",
    "analysis_run",
    "browser_events_record",
    "camera_heartbeat",
    "cameras_check_lost",
    "evidence_purge",
    "flag_raise",
    "flag_touch",
    "inspect_snapshot",
    "snapshot_upload",
]
