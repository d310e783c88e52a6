"""``python -m clawbot_assets.demo seed|reset|shadow-week [slug]``.

``seed`` seeds the embedded backend if it never was (it also happens on first use);
``reset`` puts the demo back as it was first seeded, discarding local changes;
``shadow-week`` simulates a week of shadow mode for one playbook on the instance in
``DAGSTER_HOME`` (``demo/shadow_week.py``), after which its ``cutover_readiness`` check passes.
"""

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
    print("usage: python -m clawbot_assets.demo seed|reset|shadow-week [playbook slug]", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
