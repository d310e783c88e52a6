"""``python -m clawbot_assets.worker_conformance [--worker COMMAND] [--backend local|aws-airtable]``: exit 1 on any failed scenario."""

from __future__ import annotations

import argparse
import sys

from clawbot_assets.worker_conformance.environment import BackendUnavailableError
from clawbot_assets.worker_conformance.runner import BACKENDS, REFERENCE_WORKER_COMMAND, command_worker, render, run_kit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clawbot_assets.worker_conformance",
                                     description="Prove a worker honours docs/queue_contract.md.")
    parser.add_argument("--worker", default=REFERENCE_WORKER_COMMAND,
                        help="shell command that drains the queue once and exits (default: the reference worker)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one worker run may take")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="local",
                        help="local: the embedded SQLite queue and task table; aws-airtable: SQS FIFO queues on a "
                             "moto server and the repository's Airtable fake (run from a checkout)")
    args = parser.parse_args(argv)
    try:
        results = run_kit(command_worker(args.worker, args.timeout), backend=args.backend)
    except BackendUnavailableError as error:
        parser.exit(2, f"{error}\n")
    print(render(results))
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
