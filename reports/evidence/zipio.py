"""Reading and writing the packet's ZIP container, atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from reports.evidence.errors import EvidenceError, NotAPacket

# WACZ wants WARCs and indexes stored, not deflated, so replay tools can seek into them.
STORED_DIRS = ("archive/", "indexes/")


class MemberError(Exception):
    """A member cannot be read back (bad CRC, truncated): names the member."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name


def write_zip(path: Path, members: dict[str, bytes], when: datetime) -> None:
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(members, key=_order):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = (zipfile.ZIP_STORED if name.startswith(STORED_DIRS)
                                  else zipfile.ZIP_DEFLATED)
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name])


def _order(name: str) -> tuple[int, str]:
    # datapackage first, as WACZ readers look for it; then by path.
    return (0 if name.startswith("datapackage") else 1, name)


DEFAULT_MAX_BYTES = 2 << 30


def max_bytes() -> int:
    """CERTWATCH_EVIDENCE_MAX_BYTES: the most a packet may unpack to (each member and all of
    them together), so a ZIP bomb is refused instead of filling memory."""
    text = os.environ.get("CERTWATCH_EVIDENCE_MAX_BYTES")
    if not text:
        return DEFAULT_MAX_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise EvidenceError(f"CERTWATCH_EVIDENCE_MAX_BYTES={text!r}: give a positive number "
                            "of bytes")
    return value


def read_zip(path: Path) -> dict[str, bytes]:
    """All members; NotAPacket for a non-ZIP, MemberError for a member that fails its CRC,
    is encrypted, or unpacks to more than max_bytes()."""
    limit = max_bytes()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAPacket(f"{path}: not an evidence packet (not a ZIP/WACZ file: {exc})") from None
    members: dict[str, bytes] = {}
    total = 0
    with zf:
        for info in zf.infolist():
            if info.filename in members:
                raise MemberError(info.filename, "appears twice in the ZIP")
            if info.flag_bits & 0x1:
                raise MemberError(info.filename, "encrypted (certwatch never encrypts members)")
            total += info.file_size
            if info.file_size > limit or total > limit:
                raise MemberError(info.filename, f"unpacks to more than {limit} bytes "
                                                 "(CERTWATCH_EVIDENCE_MAX_BYTES)")
            try:
                # zipfile stops at the declared size and checks the CRC, so a member that
                # lies about its size fails here instead of growing without bound.
                members[info.filename] = zf.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                    RuntimeError, ValueError, OSError) as exc:
                raise MemberError(info.filename, f"unreadable ({exc})") from None
    return members


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call write(tmp_path) for a temp file beside `target`, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
