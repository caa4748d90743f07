"""Every uploaded spreadsheet is parsed in a child process that the operating system bounds.

The readers count what a file may cost before they spend it (sheets.readers.Budget), but a
count can only foresee what its author thought of: an 864-byte .ods of 6,000 rows × 1,000 repeated
cells took 880 MB in the web worker, which kept 505 MB of it afterwards. So the web worker and the
import worker never parse an upload themselves. A child (sheets.child, no Django, started
in about a tenth of a second) reads it under an address-space limit (RLIMIT_AS,
settings.IMPORT_PROCESS["memory_mb"]), a CPU limit (RLIMIT_CPU) and a wall-clock limit (the time
this process waits for it, IMPORT_LIMITS["seconds"]), and passes back the rows only:

- the first rows as they are, for the header (HEADER_SEARCH_ROWS); then only the columns the
  header maps to the ledger (`keep`), so that a sheet's thousand other columns never come here;
- in messages of at most MAX_MESSAGE bytes, unpickled with nothing but plain values allowed;
- with the characters of text each holds (`chars`), so that the importer cuts its chunks by
  text as well as by rows (a chunk of 10,000 rows of 30,000-character cells would be 600 MB).

Crossing a limit refuses the file with a message in Chinese (never an error page, never the name of
a Python exception): the child's own refusals as the readers word them, and for what only the
kernel saw, the limit the child was held to. The child's memory is returned to the system when it
ends, whatever the file; this process holds one message and one chunk at a time."""

import datetime
import io
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

from django.conf import settings

from sheets import child
from sheets.readers import HOSTILE, FileRefused, Notes

logger = logging.getLogger(__name__)

HEAD_ROWS = 10  # brigade.ledger.headers.HEADER_SEARCH_ROWS: the rows the header is looked for in
MAX_MESSAGE = 64 << 20  # bytes of one message from the child
ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds the brigade package
STARTER = f"import sys; sys.path.insert(0, {ROOT!r}); from sheets.child import main; main()"


def _memory_message(mb: int) -> str:
    return f"读取该文件需要的内存超过{mb} MB（上限），文件过大、已损坏或是恶意构造的，已拒绝"


def _time_message(seconds: int) -> str:
    return f"读取文件超过{seconds}秒（上限），文件过大或已损坏，已拒绝"


CRASHED = "读取文件时读取进程意外终止，文件可能已损坏或是恶意构造的，已拒绝"


class _Plain(pickle.Unpickler):
    """Unpickles what the child may send and nothing else: a child that a hostile file had taken
    over could otherwise have this process call anything."""

    ALLOWED = {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return getattr(datetime, name)
        raise pickle.UnpicklingError("not a plain value")


class BoundedRows:
    """The rows of an uploaded file, read by a bounded child process: iterate it like
    sheets.read.open_rows (rows as lists, the header first, an empty row as []), and
    call `keep(mapping)` once the header is mapped. Use it as a context manager (or `close` it):
    the child is ended when the rows are no longer wanted. `notes` (hidden sheets, rows,
    formulas) is known once every row has been read."""

    def __init__(self, source):
        limits = dict(settings.IMPORT_LIMITS)
        bounds = getattr(settings, "IMPORT_PROCESS", {})
        self.memory_mb = bounds.get("memory_mb", 512)
        self.cpu_seconds = bounds.get("cpu_seconds", limits["seconds"])
        self.seconds = limits["seconds"]
        self.waited = 0.0  # seconds this process has waited for the child
        self.chars = 0  # characters of text received so far
        self.notes: Notes | None = None
        self.kept = None  # the column indexes kept, once `keep` is called
        self.raw = True  # rows still come as they are in the file (the header's rows)
        self.rows = deque()  # received, not yet given out: lists, and ints for empty rows
        self.done = False
        self._copy = None
        self.process = None
        path = self._path(source)
        if "text_per_byte" in limits:  # the text a file may have stored grows with the file (settings)
            size = os.path.getsize(path)
            limits["text_chars"] = min(
                limits["text_chars"],
                max(limits["text_floor"], limits["text_per_byte"] * size) // 10_000 * 10_000,
            )  # a round number for the message (200万字)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", STARTER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
        self.out = self.process.stdout.fileno()
        self.poll = select.poll()
        self.poll.register(self.out, select.POLLIN | select.POLLHUP | select.POLLERR)
        self._send(
            {
                "path": path,
                "limits": limits,
                "head": HEAD_ROWS,
                "memory_mb": self.memory_mb,
                "cpu_seconds": self.cpu_seconds,
                "file_mb": limits["part_mb"] + 64,
            }
        )

    def _path(self, source) -> str:
        """A path the child can open: the file's own, or a private copy of a file object's bytes."""
        if not hasattr(source, "read"):
            if not os.path.isfile(source):
                raise FileRefused(f"找不到文件：{source}")
            return os.fspath(source)
        try:  # a file on disk (an upload kept by the storage): the child opens it itself
            name = getattr(getattr(source, "file", source), "name", None)
            if (
                isinstance(name, str)
                and os.path.isabs(name)
                and os.path.samestat(os.fstat(source.fileno()), os.stat(name))
            ):
                return name
        except (AttributeError, OSError, ValueError):
            pass
        source.seek(0)
        copy = tempfile.NamedTemporaryFile(prefix="upload-", delete=False)  # noqa: SIM115 — removed in close()
        self._copy = copy.name
        with copy:
            while block := source.read(1 << 20):
                copy.write(block)
        source.seek(0)
        return copy.name

    # ── the messages ──────────────────────────────────────────────────────────────────────────

    def _send(self, message) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.process.stdin.write(child.HEADER.pack(len(data)) + data)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the child has ended (a short file): what it sent says how

    def _read(self, size: int) -> bytes:
        """`size` bytes from the child, waiting at most what is left of the wall-clock limit."""
        chunks, left = [], size
        while left:
            remaining = self.seconds - self.waited
            started = time.monotonic()
            ready = self.poll.poll(max(remaining, 0) * 1000)
            self.waited += time.monotonic() - started
            if not ready:
                self._end()
                raise FileRefused(_time_message(self.seconds))
            data = os.read(self.out, min(left, 1 << 20))
            if not data:
                raise EOFError
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)

    def _receive(self):
        try:
            size = child.HEADER.unpack(self._read(child.HEADER.size))[0]
            if size > MAX_MESSAGE:
                self._end()
                raise FileRefused(f"文件中的数据过多（一批超过{MAX_MESSAGE >> 20} MB），{HOSTILE}")
            return _Plain(io.BytesIO(self._read(size))).load()
        except EOFError:
            raise FileRefused(self._why_ended())
        except pickle.UnpicklingError:
            self._end()
            logger.error("the child reading an upload sent something that is not rows")
            raise FileRefused(CRASHED)

    def _why_ended(self) -> str:
        """What the kernel did to a child that ended without a word."""
        code = self.process.wait()
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return f"读取文件所用的计算时间超过{self.cpu_seconds}秒（上限），文件过大、已损坏或是恶意构造的，已拒绝"
        if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, 3):
            return _memory_message(self.memory_mb)  # Rust aborts when an allocation fails
        if code == -signal.SIGXFSZ:
            return f"读取文件时需要写出的数据过多，{HOSTILE}"
        logger.error("the child reading an upload ended with %s", code)
        return CRASHED

    def _next_message(self) -> None:
        message = self._receive()
        kind = message[0]
        if kind == "rows":
            rows, chars = message[1], message[2]
            self.chars += chars
            if self.raw and self.kept is not None:
                rows = child.project(rows, self.kept)
            self.rows.extend(rows)
        elif kind == "head":  # the child waits for `keep`: the caller has not said, so everything
            self.raw = False
            if self.kept is None:
                self._send(("keep", None))
        elif kind == "end":
            self.notes = Notes.from_tuple(message[1])
            self.done = True
            self._end()
        elif kind == "refused":
            self._end()
            raise FileRefused(str(message[1]))
        elif kind == "memory":
            self._end()
            raise FileRefused(_memory_message(self.memory_mb))
        else:
            self._end()
            raise FileRefused(CRASHED)

    # ── the rows ──────────────────────────────────────────────────────────────────────────────

    def __iter__(self):
        return self

    def __next__(self) -> list:
        rows = self.rows
        while not rows:
            if self.done:
                raise StopIteration
            self._next_message()
        row = rows[0]
        if row.__class__ is int:
            if row > 1:
                rows[0] = row - 1
            else:
                rows.popleft()
            return []
        return rows.popleft()

    def keep(self, mapping):
        """Only the columns of `mapping` ((index, column) pairs) are wanted from now on: returns
        the mapping as the rows will then be, each column at its place among those kept."""
        indexes = sorted({index for index, _ in mapping})
        self.kept = indexes
        if self.raw:
            self.rows = deque(child.project(self.rows, indexes))
            if not self.done:
                self._send(("keep", indexes))
        position = {index: n for n, index in enumerate(indexes)}
        return [(position[index], column) for index, column in mapping]

    # ── the end ───────────────────────────────────────────────────────────────────────────────

    def _end(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def close(self) -> None:
        self._end()
        self.process = None
        if self._copy:
            try:
                os.unlink(self._copy)
            except FileNotFoundError:
                pass
            self._copy = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def open_rows(source) -> BoundedRows:
    """The rows of `source` (a path or a seekable binary file), read in a bounded child."""
    return BoundedRows(source)
