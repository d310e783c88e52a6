"""The embedded demo's data, gathered for the demo commands, the tests and the benchmarks.

Each local adapter owns the part it seeds on first use: the SSOT's playbooks and n8n-era backlog
(``adapters/ssot_local_fixture.py``), the CRM's pipelines and deals (``adapters/crm_local_fixture.py``)
and the n8n workflow export (``adapters/n8n_local_fixture.py``). The demo imports them from there,
never the other way round.
"""

from clawbot_assets.adapters.crm_local_fixture import PIPELINES, hubspot_fixture
from clawbot_assets.adapters.n8n_local_fixture import DEMO_EXECUTIONS_PER_WORKFLOW, n8n_executions, n8n_workflows
from clawbot_assets.adapters.ssot_local_fixture import backlog_records, playbook_records

__all__ = [
    "DEMO_EXECUTIONS_PER_WORKFLOW",
    "PIPELINES",
    "backlog_records",
    "hubspot_fixture",
    "n8n_executions",
    "n8n_workflows",
    "playbook_records",
]
