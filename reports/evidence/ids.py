"""Evidence IDs on the command line: `12` or `listing:12` for a listing, `site:DOMAIN` for a
lookalike site (when the lookalike module is installed)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from reports.evidence.errors import UnknownEvidenceID

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
KINDS = ("listing", "site")


@dataclass(frozen=True, order=True)
class Target:
    kind: str  # one of KINDS
    value: str

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def slug(self) -> str:
        # Used as a file name inside the packet: ASCII, no slashes, no dots (WACZ paths
        # are `dir/name.ext`).
        return f"{self.kind}-{re.sub(r'[^a-z0-9-]+', '_', self.value.lower())}"


def parse_id(text: str) -> Target:
    raw = text.strip()
    kind, sep, value = raw.partition(":")
    if not sep:
        kind, value = "listing", raw
    kind = kind.lower()
    if kind == "listing":
        if not value.isdigit() or int(value) < 1:
            raise UnknownEvidenceID(
                f"{text!r} is not an evidence ID: expected a listing number (12 or listing:12)"
                " or site:DOMAIN")
        return Target("listing", str(int(value)))
    if kind == "site":
        domain = value.strip().lower().rstrip(".")
        with contextlib.suppress(UnicodeError):
            domain = domain.encode("idna").decode("ascii")
        if not _DOMAIN.match(domain):
            raise UnknownEvidenceID(f"{text!r}: site: needs a domain name like site:example.cn")
        return Target("site", domain)
    raise UnknownEvidenceID(
        f"{text!r} is not an evidence ID: use 12, listing:12 or site:DOMAIN")


def parse_ids(texts: list[str]) -> list[Target]:
    targets: list[Target] = []
    for text in texts:
        target = parse_id(text)
        if target not in targets:
            targets.append(target)
    return targets
