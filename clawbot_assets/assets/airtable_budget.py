"""The ``airtable_budget`` asset: Airtable requests per job per hour, and their share of the
base's 18,000 an hour, from the counts the shared rate limiter keeps (every request of every
process and container on the base, with the job that sent it). Numeric metadata, plotted by the
UI across materialisations; a WARN check when the steady state passes the configured share."""

import datetime as dt

import dagster as dg

from clawbot_assets.domain.airtable_budget import HOURLY_BUDGET, hourly_table, summarise
from clawbot_assets.names import AIRTABLE_BUDGET, NIGHTLY_DEDUPE_JOB, Checks
from clawbot_assets.resources.ssot import SsotResource

#: How far back the hourly table looks.
LOOKBACK = dt.timedelta(hours=24)
#: Jobs whose requests are the nightly burst, left out of the steady state.
NIGHTLY_JOBS = (NIGHTLY_DEDUPE_JOB,)


def build_airtable_budget(warn_share: float) -> dg.AssetsDefinition:
    @dg.asset(
        name=AIRTABLE_BUDGET,
        kinds={"airtable"},
        group_name="operations",
        check_specs=[
            dg.AssetCheckSpec(
                Checks.AIRTABLE_BUDGET_STEADY_STATE,
                asset=AIRTABLE_BUDGET,
                description=f"WARN when the busiest hour of the last day without the nightly dedupe passes "
                f"{warn_share:.0%} of the base's {HOURLY_BUDGET:,} requests an hour.",
            )
        ],
    )
    def airtable_budget(context: dg.AssetExecutionContext, ssot: SsotResource) -> dg.MaterializeResult:
        """Airtable requests per job per hour over the last day, and the share of the base's budget."""
        now = dt.datetime.now(dt.timezone.utc)
        rows = ssot.request_counts(now - LOOKBACK)
        summary = summarise([(row.job, row.hour, row.requests) for row in rows], now, NIGHTLY_JOBS)
        share = summary.steady_state_share
        steady_hour = summary.steady_state_hour.isoformat() if summary.steady_state_hour else "none"
        return dg.MaterializeResult(
            metadata={
                "requests_last_hour": dg.MetadataValue.int(summary.last_hour_requests),
                "share_of_budget_last_hour": dg.MetadataValue.float(round(summary.last_hour_requests / HOURLY_BUDGET, 5)),
                **{f"requests_last_hour[{job}]": dg.MetadataValue.int(count) for job, count in summary.last_hour_by_job.items()},
                "steady_state_requests": dg.MetadataValue.int(summary.steady_state_requests),
                "steady_state_share": dg.MetadataValue.float(round(share, 5)),
                "steady_state_hour": steady_hour,
                "requests_per_job_per_hour": dg.MetadataValue.md(hourly_table(summary)),
                "backend": ssot.describe(),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=Checks.AIRTABLE_BUDGET_STEADY_STATE,
                    passed=share <= warn_share,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={
                        "steady_state_share": dg.MetadataValue.float(round(share, 5)),
                        "warn_share": dg.MetadataValue.float(warn_share),
                        "steady_state_hour": steady_hour,
                        "busiest_jobs": ", ".join(
                            f"{job} {count}" for job, count in sorted(
                                summary.hours.get(summary.steady_state_hour, {}).items(), key=lambda item: -item[1]
                            )[:5]
                        ) if summary.steady_state_hour else "",
                    },
                )
            ],
        )

    return airtable_budget
