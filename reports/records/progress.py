"""How far a check or import has got, kept in the cache under a key the page made.

The page makes a random UUID and sends it with the upload or the confirmation; the import
reports its stage and counts under that key, and the page polls ``records_progress`` for them.
"""

import uuid

from django.core.cache import cache

from reports.records.writing import Progress

PROGRESS_SECONDS = 15 * 60


def progress_key(key: str) -> str:
    return f"records-progress:{key}"


def progress_reporter(key: str) -> Progress | None:
    """A ``progress`` callback that stores the state under ``key``; None if it is no UUID."""
    try:
        key = str(uuid.UUID(key))
    except ValueError:
        return None  # no progress to show: the page did not ask for it

    def report(stage: str, done: int, total: int) -> None:
        cache.set(
            progress_key(key), {"stage": stage, "done": done, "total": total}, PROGRESS_SECONDS
        )

    return report


def progress_state(key: uuid.UUID) -> dict | None:
    """The stage and counts last reported under ``key``, or None if nothing was."""
    return cache.get(progress_key(str(key)))
