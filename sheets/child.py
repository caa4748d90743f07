"""The child process that reads one uploaded spreadsheet for brigade.ledger.bounded.

Started as `python -I -c "…main()"` with the limits the operating system is to hold it to: an
address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU), the size of a file it may write (the
copies calamine reads) and no core file. It imports no Django, so that it starts in a tenth of
a second, and it reads the file with the same readers (sheets.read) and the same Budget
as the parent would have, a batch at a time.

Messages are pickles framed by a 4-byte length, on the file descriptors it was given:
parent → child on stdin: the job (path, limits, …); later ("keep", column indexes or None);
child → parent on its stdout: ("rows", rows, characters of text) …, ("head",) once the first
`head` rows have been sent, after which it waits for "keep"; then ("end", notes), or
("refused", message) or ("memory",). Only plain values travel (lists, str, float, bool and the
datetime types): the parent unpickles nothing else.

After "head" the rows are cut down to the kept columns (the ledger's, as the header named them),
so that the parent never holds a thousand columns of a hostile sheet; a row with values only in
columns that are not kept ends with True, so that it is not taken for an empty row. A batch is
sent in pieces of at most SPLIT_CHARS characters of text, so that the parent's chunks stay small
whatever the cells hold."""

import os
import pickle
import resource
import struct
import sys

from sheets import read, readers

SPLIT_CHARS = 1 << 21  # characters of text in one message, at most (one row may hold more)
HEADER = struct.Struct("<I")


def send(out, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(data)))
    out.write(data)
    out.flush()


def receive(inp):
    head = _exactly(inp, HEADER.size)
    return pickle.loads(_exactly(inp, HEADER.unpack(head)[0]))


def _exactly(inp, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = inp.read(size - len(data))
        if not more:
            raise EOFError
        data += more
    return data


def bound(memory_mb: int, cpu_seconds: int, file_mb: int) -> None:
    """Hold this process to the limits (it can lower them, never raise them again)."""
    memory = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def project(rows, keep):
    """The rows cut down to the columns `keep` (indexes), in that order; an int stays an int.
    A row already within the first len(keep) columns, when those are what is kept (the usual
    file: the ledger's columns and nothing else), is left as it is: rows are not padded."""
    width = len(keep)
    out = []
    leading = keep == list(range(width))
    for row in rows:
        if row.__class__ is int or leading and len(row) <= width:
            out.append(row)
            continue
        size = len(row)
        cut = [row[i] if i < size else "" for i in keep]
        if cut.count("") == width and row.count("") != size:
            cut.append(True)  # values only in other columns: not an empty row
        out.append(cut)
    return out


def chars_of(rows) -> int:
    return sum(map(len, [c for row in rows if row.__class__ is list for c in row if c.__class__ is str]))


def pieces(rows, chars: int):
    """`rows` (and their characters of text) in pieces of at most SPLIT_CHARS characters."""
    if chars <= SPLIT_CHARS:
        yield rows, chars
        return
    piece, size = [], 0
    for row in rows:
        n = 0 if row.__class__ is int else sum(len(c) for c in row if c.__class__ is str)
        if piece and size + n > SPLIT_CHARS:
            yield piece, size
            piece, size = [], 0
        piece.append(row)
        size += n
    if piece:
        yield piece, size


def run(job, inp, out) -> None:
    budget = readers.Budget(job["limits"])
    notes = readers.Notes()
    head, keep = job["head"], None
    number = 1  # the sheet row the next batch starts with
    with open(job["path"], "rb") as fh:
        batches = read.batches(fh, budget, notes)
        while True:
            budget.resume()
            batch = next(batches, None)
            budget.pause()
            if batch is None:
                break
            chars = readers.text_of(batch, budget, number)
            count = readers.rows_in(batch)
            if head is not None and number + count > head:
                # the first `head` rows as they are, for the header; the parent says what to keep
                at, covered = 0, number - 1
                while at < len(batch) and covered < head:
                    covered += batch[at] if batch[at].__class__ is int else 1
                    at += 1
                if at:
                    send(out, ("rows", batch[:at], chars_of(batch[:at])))
                send(out, ("head",))
                head, batch = None, batch[at:]
                _, keep = receive(inp)
                if keep is not None:
                    batch = project(batch, keep)
            elif keep is not None:
                batch = project(batch, keep)  # `chars`, counted before, is then more than it holds
            number += count
            for piece, size in pieces(batch, chars):
                send(out, ("rows", piece, size))
    send(out, ("end", notes.as_tuple()))


def main() -> None:
    # The messages go to the parent on what was stdout; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = os.fdopen(0, "rb", buffering=0)
    memory_error = pickle.dumps(("memory",))
    try:
        job = receive(inp)
        bound(job["memory_mb"], job["cpu_seconds"], job["file_mb"])
        try:
            run(job, inp, out)
        except readers.FileRefused as e:
            send(out, ("refused", str(e)))
        except read.BROKEN:
            send(out, ("refused", readers.DAMAGED))
        out.flush()
    except MemoryError:
        try:
            out.write(HEADER.pack(len(memory_error)))
            out.write(memory_error)
            out.flush()
        except BaseException:
            pass
        os._exit(3)
    except (EOFError, BrokenPipeError):
        os._exit(0)  # the parent has gone, or no longer wants the rows
    sys.exit(0)
