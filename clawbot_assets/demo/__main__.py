"""``python -m clawbot_assets.demo reset``: put the embedded demo back as it was first seeded."""

import sys
from pathlib import Path

from clawbot_assets.demo.seed import reset_demo
from clawbot_assets.resources.backends import data_dir


def main(argv: list[str]) -> int:
    if argv[1:] != ["reset"]:
        print("usage: python -m clawbot_assets.demo reset", file=sys.stderr)
        return 2
    target = Path(data_dir())
    reset_demo(target)
    print(f"demo data reset in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
