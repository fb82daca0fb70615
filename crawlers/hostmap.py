"""Map realistic hostnames to a loopback server, for Scrapy (proxy) and Chromium (resolver rules).

`CERTWATCH_HOST_MAP` is `{"jobs.58-sandbox.cn": "127.0.0.1:8800", "*.example.cn": …}`.
With `CERTWATCH_LOOPBACK_ONLY` every unmapped host is refused, so a sandbox crawl can never
leave the machine whatever a hostile page links to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from fnmatch import fnmatchcase


class HostMap:
    def __init__(self, mapping: Mapping[str, str] | None = None, loopback_only: bool = False):
        self.exact: dict[str, str] = {}
        self.patterns: list[tuple[str, str]] = []
        for host, target in (mapping or {}).items():
            host = host.lower().rstrip(".")
            if "*" in host:
                self.patterns.append((host, target))
            else:
                self.exact[host] = target
        self.loopback_only = loopback_only

    def __bool__(self) -> bool:
        return bool(self.exact or self.patterns or self.loopback_only)

    def target(self, host: str | None) -> str | None:
        if not host:
            return None
        host = host.lower().rstrip(".")
        if host in self.exact:
            return self.exact[host]
        for pattern, target in self.patterns:
            if fnmatchcase(host, pattern):
                return target
        return None

    def allowed(self, host: str | None) -> bool:
        if not self.loopback_only or self.target(host) is not None:
            return True
        return is_loopback(host)

    def chromium_rules(self) -> str:
        """Value for Chromium's --host-resolver-rules (it accepts a replacement port)."""
        rules = [f"MAP {h} {t}" for h, t in self.exact.items()]
        rules += [f"MAP {p} {t}" for p, t in self.patterns]
        if self.loopback_only:
            rules += ["MAP localhost 127.0.0.1", "MAP * ~NOTFOUND"]
        return ", ".join(rules)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
