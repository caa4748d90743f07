"""Word templates are parsed and rendered in a child process that the operating system bounds.

A report template is a user's upload. The sandbox (reports/sandbox.py) and the rebuild
(reports/template_rebuild.py) count what it may cost before spending it, but a count only foresees
what its author thought of: a ``{% set %}`` of concatenations took a web worker to 1.42 GB, and a
24.5 kB template of unclosed ``{{`` kept docxtpl's regular expressions busy for two minutes before
the sandbox saw anything. So the web worker never parses or renders a template itself: a child
(``python -I``, no Django, started in about a quarter of a second) does, under

- an address-space limit (RLIMIT_AS, ``MEMORY_MB``), so that the worker's memory never grows with
  what a user sends: the child's is returned to the system when it ends, whatever the template;
- a CPU limit (RLIMIT_CPU, ``CPU_SECONDS``) and a wall-clock limit (``SECONDS``: this process
  waits no longer, then kills the child's process group), both under gunicorn's timeout;
- a file-size limit and no core file.

It is the mechanism brigade.ledger.bounded uses for spreadsheets, the same limits set by the same
function (sheets.child.bound) and the same framing (a 4-byte length, then a pickle), for
one question and one answer: the child reads the job (an operation of reports.docx and its
arguments, all plain values), runs it, and writes ("ok", result), ("refused", message) or
("memory",). This process unpickles nothing but plain values.

Crossing a limit refuses the template with a message in Chinese (``reports.docx.TemplateRefused``),
never an error page and never the name of a Python exception."""

from __future__ import annotations

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
from pathlib import Path

logger = logging.getLogger(__name__)

MEMORY_MB = int(os.environ.get("REPORT_TEMPLATE_MEMORY_MB", 512))
CPU_SECONDS = int(os.environ.get("REPORT_TEMPLATE_CPU_SECONDS", 20))
SECONDS = int(os.environ.get("REPORT_TEMPLATE_SECONDS", 30))
FILE_MB = 64  # what the child may write to a file (it writes none; LibreOffice has its own)
MAX_MESSAGE = 128 << 20  # bytes of the answer: a rendered report is well under a megabyte

ROOT = str(Path(__file__).resolve().parents[1])  # the folder that holds the reports package
STARTER = f"import sys; sys.path.insert(0, {ROOT!r}); from reports.bounded import main; main()"

CRASHED = "处理模板的进程意外终止，模板可能已损坏或是恶意构造的，已拒绝。"


def memory_message(mb: int) -> str:
    return f"处理该模板需要的内存超过 {mb} MB（上限），模板过大或是恶意构造的，已拒绝。"


def cpu_message(seconds: int) -> str:
    return f"处理该模板所用的计算时间超过 {seconds} 秒（上限），请简化模板中的标签和循环。"


def time_message(seconds: int) -> str:
    return f"处理该模板超过 {seconds} 秒（上限），请简化模板中的标签和循环。"


class Refused(Exception):
    """What the child refused, or the limit it crossed; the message is Chinese."""


class _Plain(pickle.Unpickler):
    """Only plain values (bytes, str, numbers, lists, tuples, dicts): a child that a hostile
    template had taken over could otherwise have this process call anything."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError("not a plain value")


def run(operation: str, *args, seconds: int | None = None):
    """``reports.docx``'s child operation ``operation(*args)`` run in a bounded child; its result.
    Raises ``Refused`` (Chinese) for what the operation refused and for a limit crossed."""
    from sheets.child import HEADER  # the framing brigade.ledger.bounded uses

    seconds = seconds or SECONDS
    job = pickle.dumps(
        {
            "operation": operation,
            "args": args,
            "memory_mb": MEMORY_MB,
            "cpu_seconds": CPU_SECONDS,
            "file_mb": FILE_MB,
        },
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    with tempfile.TemporaryFile(prefix="template-child-") as errors:
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", STARTER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            close_fds=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + seconds
        try:
            try:
                process.stdin.write(HEADER.pack(len(job)) + job)
                process.stdin.close()
            except (BrokenPipeError, OSError):
                pass  # the child has ended: its exit says how
            answer = _answer(process, deadline, HEADER)
            if answer is None:  # it ended without a word: let it finish ending, then ask why
                process.wait(timeout=max(deadline - time.monotonic(), 1))
                raise Refused(_why_ended(process, errors))
        except (_Timeout, subprocess.TimeoutExpired):
            raise Refused(time_message(seconds)) from None
        finally:
            _kill(process)
    kind = answer[0]
    if kind == "ok":
        return answer[1]
    if kind == "refused":
        raise Refused(str(answer[1]))
    if kind == "memory":
        raise Refused(memory_message(MEMORY_MB))
    logger.error("the template child answered %r", kind)
    raise Refused(CRASHED)


class _Timeout(Exception):
    pass


def _answer(process, deadline: float, header):
    """The child's answer, or None when it ended without one."""
    out = process.stdout.fileno()
    poll = select.poll()
    poll.register(out, select.POLLIN | select.POLLHUP | select.POLLERR)

    def read(size: int) -> bytes | None:
        chunks, left = [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poll.poll(remaining * 1000):
                raise _Timeout
            data = os.read(out, min(left, 1 << 20))
            if not data:
                return None
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)

    head = read(header.size)
    if head is None:
        return None
    size = header.unpack(head)[0]
    if size > MAX_MESSAGE:
        logger.error("the template child sent %d bytes", size)
        return ("crashed",)
    body = read(size)
    if body is None:
        return None
    try:
        answer = _Plain(io.BytesIO(body)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
        logger.error("the template child sent something that is not a plain answer")
        return ("crashed",)
    return answer if isinstance(answer, tuple) and answer else ("crashed",)


def _kill(process) -> None:
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


def _why_ended(process, errors) -> str:
    """What the kernel did to a child that ended without a word."""
    code = process.wait()
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return cpu_message(CPU_SECONDS)
    if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, 3):
        return memory_message(MEMORY_MB)  # a C library aborts when an allocation fails
    errors.seek(0, os.SEEK_END)
    errors.seek(max(errors.tell() - 2000, 0))
    logger.error("the template child ended with %s: %s", code, errors.read().decode(errors="replace"))
    return CRASHED


# --------------------------------------------------------------------------- the child


def main() -> None:
    from sheets.child import HEADER, bound, receive

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the answer
    inp = os.fdopen(0, "rb", buffering=0)
    memory = pickle.dumps(("memory",))

    def send(message) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(HEADER.pack(len(data)) + data)
        out.flush()

    try:
        job = receive(inp)
        bound(job["memory_mb"], job["cpu_seconds"], job["file_mb"])
        from reports import docx, template_rebuild

        operation = docx.CHILD_OPERATIONS[job["operation"]]
        try:
            send(("ok", operation(*job["args"])))
        except docx.TemplateRefused as e:
            send(("refused", str(e)))
        except RecursionError:
            send(("refused", "模板中的标签或表达式嵌套过深，已拒绝。"))
        except Exception as e:
            if template_rebuild.out_of_memory(e):  # a C library's failed allocation
                raise MemoryError from e
            raise
    except MemoryError:
        try:
            out.write(HEADER.pack(len(memory)) + memory)
            out.flush()
        except BaseException:
            pass
        os._exit(3)
    except (EOFError, BrokenPipeError):
        os._exit(0)
    sys.exit(0)
