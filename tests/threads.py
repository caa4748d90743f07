"""Running a step of a test on a thread of its own, with its own database connection: how the
concurrency tests put two users (two connections) side by side."""

import threading

from django.db import connections


def in_thread(target):
    """Start `target` on a thread; returns (thread, outcome) where outcome gets "value" or
    "error" once it has run."""
    outcome = {}

    def run():
        try:
            outcome["value"] = target()
        except Exception as error:  # noqa: BLE001 — handed to the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome
