"""``playbooks_change_sensor``: re-audit as soon as the Playbooks table changes.

Each evaluation asks the SSOT only for the rows created or modified since the last poll
(``LAST_MODIFIED_TIME()`` on Airtable, one request through the shared rate limiter; the cursor
is the time of the last poll), minus a minute of overlap for clock skew. Any change requests
one ``ssot_audit_refresh`` run; its run key is a digest of the changed rows, so a change seen
again inside the overlap does not start a second run. The first evaluation requests one audit.
"""

import datetime as dt
import hashlib
import json

import dagster as dg

from clawbot_assets.adapters.rate_limit import attributed_to
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.names import PLAYBOOKS_CHANGE_SENSOR, SSOT_AUDIT_JOB
from clawbot_assets.resources.ssot import SsotResource

OVERLAP = dt.timedelta(seconds=60)
INTERVAL_SECONDS = 120


def changes_digest(records: list[dict]) -> str:
    rows = sorted((record.get("id", ""), json.dumps(record.get("fields", {}), sort_keys=True, default=str)) for record in records)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


@dg.sensor(
    name=PLAYBOOKS_CHANGE_SENSOR,
    job_name=SSOT_AUDIT_JOB,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def playbooks_change_sensor(context: dg.SensorEvaluationContext, ssot: SsotResource) -> dg.SensorResult | dg.SkipReason:
    """Requests an SSOT audit when a playbook row was created or modified since the last poll."""
    polled_at = dt.datetime.now(dt.timezone.utc)
    if not context.cursor:
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"playbooks@first:{polled_at.isoformat()}")], cursor=polled_at.isoformat())
    since = dt.datetime.fromisoformat(context.cursor) - OVERLAP
    with attributed_to(PLAYBOOKS_CHANGE_SENSOR):
        changed = ssot.client().list_records(PLAYBOOKS_TABLE, changed_since=since)
    if not changed:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no playbook changed since {since.isoformat(timespec='seconds')}"), cursor=polled_at.isoformat())
    names = sorted(str(record.get("fields", {}).get("Name", record.get("id"))) for record in changed)
    context.log.info(f"{len(changed)} playbook row(s) changed: {', '.join(names)}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"playbooks@{changes_digest(changed)}", tags={"clawbot/changed_playbooks": ", ".join(names)[:200]})],
        cursor=polled_at.isoformat(),
    )
