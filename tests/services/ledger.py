"""The dedupe's history kept in memory exactly as the event log folds it, for service tests."""

from clawbot_assets.adapters.key_index import FileKeyIndexStore
from clawbot_assets.domain.dedupe_history import DedupeHistory
from clawbot_assets.services.dedupe_runner import DedupeReport, committed, run_dedupe


class Ledger:
    def __init__(self, index_path):
        self.history = DedupeHistory()
        self.index_store = FileKeyIndexStore(index_path)

    def _started(self, run) -> None:
        self.history = self.history.started(run)

    def run(self, client, **options) -> DedupeReport:
        """One dedupe; it commits, as its materialisation would, only if it returns."""
        report = run_dedupe(client, self.history, self.index_store, on_started=self._started, **options)
        if not report.dry_run:
            self.history = committed(self.history, report)
        return report
