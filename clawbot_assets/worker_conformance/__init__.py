"""The worker conformance kit: proves a worker honours docs/queue_contract.md.

``python -m clawbot_assets.worker_conformance --worker "<command>" [--backend local|aws-airtable]``
gives the worker under test, per scenario, a queue with its DLQ and a task table (the embedded
backend in a fresh ``CLAWBOT_DATA_DIR``, or SQS FIFO queues on moto and the repository's Airtable
fake), seeds the scenario, runs the command a few times (making in-flight messages visible
again between runs, as a visibility timeout would), and judges the task table, the queue, the
DLQ and the deliveries the worker recorded. See ``environment.py`` for what the worker is given.
"""
