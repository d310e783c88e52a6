"""The ``whats_live_page`` asset: the latest ``ssot_audit``, as a page a person reads."""

import datetime as dt

import dagster as dg

from clawbot_assets.domain.live_page import render_html, render_markdown, state
from clawbot_assets.names import SSOT_AUDIT, WHATS_LIVE_PAGE
from clawbot_assets.resources.live_page import LivePageResource


def latest_audit_rows(instance: dg.DagsterInstance) -> list[dict]:
    event = instance.get_latest_materialization_event(dg.AssetKey(SSOT_AUDIT))
    if event is None or event.asset_materialization is None:
        raise dg.Failure(f"{SSOT_AUDIT} has never been materialised: materialise it first (job ssot_audit_refresh)")
    table = event.asset_materialization.metadata["audit"]
    return [dict(record.data) for record in table.value.records]


@dg.asset(name=WHATS_LIVE_PAGE, kinds={"html"}, group_name="playbooks", deps=[SSOT_AUDIT])
def whats_live_page(context: dg.AssetExecutionContext, live_page: LivePageResource) -> dg.MaterializeResult:
    """What is live, for people: every playbook's owner, tier, scheduler, schedule in words,
    last and next run and verdict, broken ones first with what to fix. Static HTML
    (``index.html``) and markdown (``whats_live.md``) in ``$CLAWBOT_DATA_DIR/whats_live/``,
    rendered from the latest ``ssot_audit`` materialisation in the event log.
    """
    rows = latest_audit_rows(context.instance)
    generated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
    html_path, markdown_path = live_page.write(render_html(rows, generated), render_markdown(rows, generated))
    # The page itself first: the UI opens markdown metadata in a wide dialog (Show Markdown), and
    # the event log keeps it. The files' paths are text, not links: a browser refuses file://
    # links from the UI's http page, and on Fargate the files die with the run's task.
    return dg.MaterializeResult(
        metadata={
            "preview": dg.MetadataValue.md(render_markdown(rows, generated)),
            "broken": dg.MetadataValue.int(sum(state(row) == "BROKEN" for row in rows)),
            "page": dg.MetadataValue.path(str(html_path)),
            "markdown": dg.MetadataValue.path(str(markdown_path)),
        }
    )
