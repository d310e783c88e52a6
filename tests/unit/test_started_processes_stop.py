"""Processes the tests start must stop when a test terminates them, however the suite itself was
started. A shell's background job without job control ignores SIGINT; an ignored signal is
inherited, and Dagster's servers and daemons map SIGTERM to SIGINT's handler, so they ignored
SIGTERM too and outlived their tests (tests/conftest.py restores SIGINT)."""

import signal
import subprocess
import sys

#: What Dagster's ``setup_interrupt_handlers`` does at the start of its servers and daemons.
MAPS_SIGTERM_TO_SIGINT = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGINT))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_the_suite_runs_with_sigint_not_ignored():
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_a_started_process_that_maps_sigterm_to_sigint_stops_on_sigterm():
    process = subprocess.Popen([sys.executable, "-c", MAPS_SIGTERM_TO_SIGINT], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        process.terminate()
        assert process.wait(timeout=10) != 0
    finally:
        process.kill()
        process.wait()
