"""Raw bodies on disk, content-addressed by SHA-256 and written atomically."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class BodyStore:
    """`root/ab/cd/abcd…` layout; a body already present is never rewritten."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename, so a crash never leaves a truncated body
            # under a name that claims a hash it does not have.
            tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()
