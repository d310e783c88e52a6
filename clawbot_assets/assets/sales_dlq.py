"""``sales_dlq``: the worker queue's dead-letter queue, an external asset. ``dlq_depth_sensor``
records its depth as an observation every minute, which the UI plots."""

import dagster as dg

from clawbot_assets.names import SALES_DISPATCH, SALES_DLQ

sales_dlq = dg.AssetSpec(
    SALES_DLQ,
    deps=[SALES_DISPATCH],
    group_name="task_queue",
    kinds={"sqs"},
    description="Messages the worker could not complete after the maximum receives. Depth observed by dlq_depth_sensor; "
    "each incident launches dlq_triage. docs/operating.md: 'When the DLQ fills'.",
)
