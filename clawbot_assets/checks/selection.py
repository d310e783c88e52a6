"""Which checks of a multi-check a run asked for.

The multi-checks are subsettable (``can_subset=True``), so each check can be executed alone
from the UI; they then yield a result only for the checks the run selected.
"""

import dagster as dg


def selected_check_names(context: dg.AssetCheckExecutionContext) -> frozenset[str]:
    return frozenset(key.name for key in context.selected_asset_check_keys)
