"""Request pacing for a rate limit that is shared by every process talking to one Airtable base.

Airtable allows 5 requests/s per base, and schedules that fire in the same minute start runs
in parallel. Each request reserves the next free slot in a small state file guarded by
``filelock`` (already a Dagster dependency), so every process on the host shares one budget.
A 429 pushes the next slot past Airtable's 30-second penalty for everyone.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from filelock import FileLock


#: How late after its slot, as a share of the interval, a request may still be sent.
LATE_SLACK = 0.1


class RequestPacer:
    def __init__(self, requests_per_second: float, state_path: str | Path | None = None):
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self.interval = 1.0 / requests_per_second
        self._state_path = Path(state_path) if state_path else None
        self._lock = threading.Lock()
        self._next_slot = 0.0
        if self._state_path:
            self._state_path.parent.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(str(self._state_path) + ".lock")

    def _reserve(self, not_before: float, spacing: float) -> float:
        """Take the first slot at or after both ``not_before`` and now; the next one is
        ``spacing`` later. Now is read once the locks are held: waiting for them can take longer
        than a slot, and a slot already past would send this request together with the next."""
        with self._lock:
            if self._state_path is None:
                slot = max(not_before, time.time(), self._next_slot)
                self._next_slot = slot + spacing
                return slot
            with self._file_lock:
                try:
                    shared_next = float(self._state_path.read_text() or 0)
                except (FileNotFoundError, ValueError):
                    shared_next = 0.0
                slot = max(not_before, time.time(), shared_next)
                self._state_path.write_text(repr(slot + spacing))
                return slot

    def wait_for_slot(self) -> float:
        """Block until this process may send one request; returns the seconds waited.

        A process that wakes more than a tenth of an interval after its slot (a loaded host can
        deschedule it for longer than a slot) gives the slot up and takes a fresh one: sending
        late would land its request right beside the next process's.
        """
        started = time.time()
        while True:
            slot = self._reserve(time.time(), self.interval)
            delay = slot - time.time()
            if delay > 0:
                time.sleep(delay)
            if time.time() - slot <= self.interval * LATE_SLACK:
                return time.time() - started

    def penalise(self, seconds: float) -> None:
        """After a 429 nobody sends for ``seconds``: Airtable rejects everything until then."""
        self._reserve(time.time() + seconds, 0.0)
