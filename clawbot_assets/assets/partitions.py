"""One ``playbook`` partition per schedulable playbook slug, added by the ``playbooks`` asset
and by each playbook's schedule before it requests a run."""

import dagster as dg

from clawbot_assets.names import PLAYBOOK_PARTITIONS

playbook_partitions = dg.DynamicPartitionsDefinition(name=PLAYBOOK_PARTITIONS)
