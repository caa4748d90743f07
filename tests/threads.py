"""Running a step of a test on a thread of its own, with its own database connection: how the
concurrency tests put two users (two connections) side by side."""

import contextlib
import sqlite3
import threading
from pathlib import Path

from django.db import connection, connections


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


@contextlib.contextmanager
def shared_database(folder):
    """Two connections that see each other as two users' do. On PostgreSQL the test database
    already is; SQLite's test database is in memory with a shared cache, where a second writer
    fails at once ("database table is locked") instead of waiting as on the file `make run` uses.
    So on SQLite the database (as the test has filled it) is copied to a file in `folder`, and
    every connection opened meanwhile, this thread's and the threads', uses the file."""
    if connection.vendor != "sqlite":
        yield
        return
    memory = connections["default"]
    memory.ensure_connection()
    path = Path(folder) / "shared.sqlite3"
    target = sqlite3.connect(path)
    memory.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]
    name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = memory
        settings_dict["NAME"] = name
