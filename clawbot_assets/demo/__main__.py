"""``python -m clawbot_assets.demo seed|reset``.

``seed`` seeds the embedded backend if it never was (it also happens on first use);
``reset`` puts the demo back as it was first seeded, discarding local changes.
"""

import os
import sys
from pathlib import Path

from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.demo.seed import ensure_crm_fixture, ensure_n8n_export, reset_demo, seed_demo_once
from clawbot_assets.resources.backends import DATA_DIR, DEFAULT_DATA_DIR, LOCAL_CRM_FILE, LOCAL_N8N_FILE, LOCAL_SSOT_FILE


def main(argv: list[str]) -> int:
    command = argv[1:]
    target = Path(os.environ.get(DATA_DIR) or DEFAULT_DATA_DIR).resolve()
    if command == ["reset"]:
        reset_demo(target)
        print(f"demo data reset in {target}")
        return 0
    if command == ["seed"]:
        seeded = seed_demo_once(LocalSsot(target / LOCAL_SSOT_FILE))
        ensure_crm_fixture(target / LOCAL_CRM_FILE)
        ensure_n8n_export(target / LOCAL_N8N_FILE)
        print(f"demo data {'seeded' if seeded else 'already seeded, left as it is'} in {target}")
        return 0
    print("usage: python -m clawbot_assets.demo seed|reset", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
