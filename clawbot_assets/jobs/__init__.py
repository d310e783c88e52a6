"""Jobs: the asset jobs (playbook runs, refresh, dedupe, audit, metrics, handover), the dedupe's
operator jobs, the queue's jobs (dispatch, reference worker, DLQ triage) and reconcile."""
