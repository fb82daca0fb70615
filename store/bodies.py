"""Raw bodies on disk, content-addressed by SHA-256 and written atomically."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path


class BodyStore:
    """`root/ab/cd/abcd…` layout; a body already present is never rewritten.

    `put` runs once per fetched page, so it works on plain strings and remembers which
    directories and bodies it has seen: pathlib objects, a failing `mkdir` per level and a
    `stat` per page were most of its cost. One instance per writer thread.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        self._dirs: set[str] = set()
        self._known: set[str] = set()

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        if digest in self._known:
            return digest
        directory = f"{self._root}/{digest[:2]}/{digest[2:4]}"
        path = f"{directory}/{digest}"
        if directory not in self._dirs:
            os.makedirs(directory, exist_ok=True)
            self._dirs.add(directory)
        if not os.path.exists(path):
            # Write beside the target and rename, so a crash never leaves a truncated body
            # under a name that claims a hash it does not have. The temporary name is per
            # thread: two crawls' writers may store the same body at the same moment.
            tmp = f"{directory}/.{digest}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, path)
        self._known.add(digest)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()
