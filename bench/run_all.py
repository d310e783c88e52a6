"""Runs every benchmark and prints its figures (about 10 minutes on 2 cores).

Usage, from the project root: .venv/bin/python bench/run_all.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import airtable_budget, airtable_costs, dedupe_compute, load_definitions, observability_overhead, rate_limit, shadow_diff  # noqa: E402

if __name__ == "__main__":
    load_definitions.main()
    print()
    dedupe_compute.main()
    print()
    airtable_costs.main()
    print()
    rate_limit.main()
    print()
    airtable_budget.main([10_000])
    print()
    observability_overhead.main()
    print()
    shadow_diff.main()
