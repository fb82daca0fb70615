"""Does a candidate domain resolve, and where to? Pluggable, so tests never touch DNS.

`StaticResolver` answers from a map (the sandbox's hostnames -> its loopback address) and
says "does not resolve" for everything else; `SystemResolver` asks the operating system.
The browser is then pointed at the same answer (see `host_map`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from crawlers.hostmap import HostMap


@dataclass(frozen=True)
class Resolution:
    domain: str
    resolves: bool
    addresses: tuple[str, ...] = ()
    error: str | None = None
    target: str | None = field(default=None, compare=False)  # HOST:PORT the browser should use


class Resolver(Protocol):
    name: str

    def resolve_many(self, domains: Iterable[str]) -> dict[str, Resolution]: ...

    def host_map(self) -> HostMap | None:
        """The browser's host map (None: the system resolver, no rewriting)."""
        ...


class StaticResolver:
    """Names in `mapping` resolve to its `HOST:PORT` target; nothing else does."""

    name = "static"

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {k.lower().rstrip("."): v for k, v in mapping.items()}

    def resolve(self, domain: str) -> Resolution:
        target = self.mapping.get(domain.lower().rstrip("."))
        if target is None:
            return Resolution(domain, False, error="NXDOMAIN (not in the static map)")
        return Resolution(domain, True, (target.rsplit(":", 1)[0],), target=target)

    def resolve_many(self, domains: Iterable[str]) -> dict[str, Resolution]:
        return {d: self.resolve(d) for d in domains}

    def host_map(self) -> HostMap:
        return HostMap(self.mapping, loopback_only=True)


class SystemResolver:
    """The operating system's resolver (DNS), a few names at a time."""

    name = "system"

    def __init__(self, workers: int = 16) -> None:
        self.workers = workers

    @staticmethod
    def resolve(domain: str) -> Resolution:
        try:
            infos = socket.getaddrinfo(domain, 80, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            return Resolution(domain, False, error=str(exc)[:200])
        addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
        return Resolution(domain, bool(addresses), addresses)

    def resolve_many(self, domains: Iterable[str]) -> dict[str, Resolution]:
        names = list(dict.fromkeys(domains))
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return dict(zip(names, pool.map(self.resolve, names), strict=True))

    def host_map(self) -> None:
        return None
