"""The rehearsal's step bookkeeping: one line a step, timed, and nothing after a failed proof."""

from clawbot_assets.domain.rehearsal import ProofFailed, Step, run_steps


def test_steps_stop_at_the_first_failed_proof_and_time_each_step():
    ran = []

    def fails():
        raise ProofFailed("the audit still names X")

    ticks = iter([0.0, 1.5, 2.0, 2.25])
    report = run_steps([Step("one", lambda: ran.append(1) or "proved one"), Step("two", fails), Step("three", lambda: ran.append(3) or "")],
                       clock=lambda: next(ticks))
    assert ran == [1]
    assert [o.line() for o in report.outcomes] == ["[1/3] one: proved one (1.5 s)", "[2/3] two: FAILED: the audit still names X (0.2 s)"]
    assert report.summary() == "rehearsal stopped at step 2/3 (two): the audit still names X"
