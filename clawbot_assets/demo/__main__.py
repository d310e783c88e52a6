"""``python -m clawbot_assets.demo seed|reset|shadow-week [slug]|rehearse``.

``seed`` seeds the embedded backend if it never was (it also happens on first use);
``reset`` puts the demo back as it was first seeded, discarding local changes;
``shadow-week`` simulates shadow mode for one playbook on the instance in ``DAGSTER_HOME``
(``demo/shadow_week.py``): the last 15 days, enough for a daily and a weekly cron, after which
its ``cutover_readiness`` check passes;
``rehearse`` walks the whole migration on the demo, step by step, each proven, and writes the
post-mortem into ``$CLAWBOT_DATA_DIR/rehearsal/`` (``demo/rehearsal.py``, docs/cutover.md).
"""

import contextlib
import os
import sys
from pathlib import Path

from clawbot_assets.demo.seed import reset_demo, seed_demo
from clawbot_assets.resources.backends import DATA_DIR, DEFAULT_DATA_DIR


def main(argv: list[str]) -> int:
    command = argv[1:]
    target = Path(os.environ.get(DATA_DIR) or DEFAULT_DATA_DIR).resolve()
    if command == ["reset"]:
        reset_demo(target)
        print(f"demo data reset in {target}")
        return 0
    if command == ["seed"]:
        seeded = seed_demo(target)
        print(f"demo data {'seeded' if seeded else 'already seeded, left as it is'} in {target}")
        return 0
    if command[:1] == ["shadow-week"] and len(command) <= 2:
        return shadow_week(command[1] if len(command) == 2 else None)
    if command == ["rehearse"]:
        return rehearse(target)
    print("usage: python -m clawbot_assets.demo seed|reset|shadow-week [playbook slug]|rehearse", file=sys.stderr)
    return 2


def shadow_week(slug: str | None) -> int:
    """Imports Dagster only for this command: ``seed`` runs before every ``dagster dev``."""
    import dagster as dg

    from clawbot_assets.definitions import defs
    from clawbot_assets.demo.shadow_week import DEFAULT_PLAYBOOK, simulate_shadow_week

    result = simulate_shadow_week(defs(), dg.DagsterInstance.get(), slug or DEFAULT_PLAYBOOK)
    for evaluation in result.get_asset_check_evaluations():
        print(f"{evaluation.check_name}: {'passed' if evaluation.passed else 'failed'}")
    return 0 if result.success else 1


def rehearse(target: Path) -> int:
    """The embedded backend under ``target``; queue messages go unsigned unless a ClawBot
    password is configured, as on ``dev.sh``'s demo."""
    import dagster as dg

    from clawbot_assets.demo.rehearsal import REHEARSAL_FOLDER, RUN_LOG, SIMULATED_TIME, rehearse as run_rehearsal
    from clawbot_assets.resources import resources_from_env
    from clawbot_assets.resources.backends import ALLOW_UNSIGNED

    if not os.environ.get("DAGSTER_HOME"):
        print("DAGSTER_HOME is not set: the rehearsal records into a Dagster instance (a fresh one is best)", file=sys.stderr)
        return 2
    resources = resources_from_env({**os.environ, DATA_DIR: str(target), ALLOW_UNSIGNED: os.environ.get(ALLOW_UNSIGNED, "true")})
    print(f"rehearsing the migration on the embedded backend in {target} ({SIMULATED_TIME})", flush=True)
    out = target / REHEARSAL_FOLDER
    out.mkdir(parents=True, exist_ok=True)
    log = out / RUN_LOG
    print(f"Dagster's run logs go to {log}", flush=True)
    with dg.DagsterInstance.get() as instance, log.open("w") as run_logs, contextlib.redirect_stderr(run_logs):
        try:
            report = run_rehearsal(resources, instance, out, lambda outcome: print(outcome.line(), flush=True))
        except RuntimeError as error:
            print(f"rehearsal refused: {error}", file=sys.__stderr__)
            return 2
    print(report.summary())
    return 0 if report.succeeded else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
