"""The one stand-in for a system whose backend the environment does not describe: a switch set
to a value that names no backend, or a real backend missing what it cannot start without (the
limiter's ``instance`` without the instance's Postgres variables).

The code location still loads. The first use of the system (a run's first call, the audit's n8n
read, a sensor's alert) fails with ``problem``, which names the switch and the values it takes,
never the value it holds: a token pasted into the wrong variable stays secret.
"""

from __future__ import annotations

from typing import NoReturn, Sequence

from clawbot_assets.adapters.cloudwatch import PublishReport
from clawbot_assets.observability.metrics import Datapoint
from clawbot_assets.resources.alerts import Alert, AlerterResource
from clawbot_assets.resources.backends import BackendConfigError
from clawbot_assets.resources.crm import CrmResource
from clawbot_assets.resources.metrics import MetricsResource
from clawbot_assets.resources.n8n import N8nResource
from clawbot_assets.resources.queue import QueueResource
from clawbot_assets.resources.secrets import SecretsResource, SecretUnavailableError
from clawbot_assets.resources.ssot import SsotResource


class MisconfiguredResource(
    SsotResource, CrmResource, N8nResource, QueueResource, SecretsResource, MetricsResource, AlerterResource
):
    """Every switched system's abstract resource at once, so that it fits wherever one is expected,
    nested ones included (the secrets inside the SSOT's resource, the channel inside the alerter's).

    Each abstract method answers as a missing backend must: a read raises ``BackendConfigError``;
    a credential raises ``SecretUnavailableError``, which signing already turns into "the ClawBot
    password cannot be read" (nothing is sent); a metrics publish reports every point lost, so
    ``ops_metrics`` stays green and says why. A system's interface gaining an abstract method
    makes this class abstract too, and building it fails until it answers that method as well.
    """

    system: str
    """The system it stands in for (a key of ``resources.BACKENDS``)."""
    problem: str

    def _refuse(self) -> NoReturn:
        raise BackendConfigError(self.problem)

    def client(self) -> NoReturn:
        self._refuse()

    def queue(self) -> NoReturn:
        self._refuse()

    def dead_letter(self) -> NoReturn:
        self._refuse()

    def send(self, alert: Alert) -> NoReturn:
        self._refuse()

    def get(self, name: str) -> NoReturn:
        raise SecretUnavailableError(self.problem)

    def publish(self, points: Sequence[Datapoint]) -> PublishReport:
        return PublishReport(lost=len(points), errors=[self.problem])

    def destination(self) -> str:
        return f"nowhere ({self.system} misconfigured)"

    def describe(self) -> str:
        return f"misconfigured {self.system}"
