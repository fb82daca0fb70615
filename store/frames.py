"""Length-prefixed pickles over a pipe: how certwatch talks to its own child processes.

An 8-byte little-endian length, then the pickle; a zero length ends the stream. Only for
pipes between a certwatch process and the child it started: pickles are not for strangers.
The child reads its stdin and answers on its stdout (`start_child`, `child_replies`).
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import subprocess
import sys
from typing import Any, BinaryIO

_LENGTH = struct.Struct("<Q")
END = _LENGTH.pack(0)


def encode(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def write_all(stream: BinaryIO, data: bytes) -> None:
    """Write every byte (an unbuffered pipe may take part of a large write at a time)."""
    view = memoryview(data)
    while view:
        view = view[stream.write(view):]


def read(stream: BinaryIO) -> Any | None:
    """The next value; None at the end (a zero length, or the writer gone, even mid-frame)."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    if length == 0:
        return None
    data = _read_exactly(stream, length)
    return None if data is None else pickle.loads(data)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    # An unbuffered pipe returns what has arrived so far, not `size` bytes.
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def start_child(module: str) -> subprocess.Popen:
    """`python -m module` with unbuffered pipes to its stdin and from its stdout."""
    return subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0, close_fds=True)


def child_replies() -> BinaryIO:
    """In the child: the stream to answer on. Stdout is taken for it (anything printed goes
    to stderr), and SIGINT and SIGTERM are ignored: they reach the whole process group, and
    the parent decides when the work ends — by closing the pipe, or by dying."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    return replies
