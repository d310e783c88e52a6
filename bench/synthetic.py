"""A synthetic task_queue_sales in the n8n era's shape, at any size."""

import datetime as dt
import random

STATUSES = ["pending", "approved", "queued", "sent", "failed", "intercepted", "cancelled"]


def synthetic_tasks(count: int, duplicate_share: float = 0.1, seed: int = 1, start: dt.datetime | None = None) -> list[dict]:
    """``count`` records of which ``duplicate_share`` repeat an earlier task, with loose
    spellings (padded, lower-case names; numeric deal ids; US and ISO-datetime dates)."""
    rng = random.Random(seed)
    names = [f"Playbook {index:02d}" for index in range(16)]
    base = start or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    unique = int(count * (1 - duplicate_share))
    records = []
    for index in range(count):
        task = index if index < unique else rng.randrange(unique)
        name = names[task % 16]
        deal = str(9_000_000_000 + task)
        day = (base + dt.timedelta(days=task % 300)).date()
        style = rng.randrange(3)
        due = day.isoformat() if style == 0 else f"{day.month:02d}/{day.day:02d}/{day.year}" if style == 1 else f"{day.isoformat()}T09:00:00.000Z"
        records.append(
            {
                "id": f"rec{index:014d}",
                "createdTime": (base + dt.timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "fields": {
                    "Playbook": name if rng.random() < 0.7 else f" {name.lower()} ",
                    "Deal ID": deal if rng.random() < 0.7 else int(deal),
                    "Step": "1",
                    "Due Date": due,
                    "Status": rng.choice(STATUSES),
                    "Source": "n8n",
                },
            }
        )
    return records
