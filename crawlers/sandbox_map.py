"""The host map that sends every sandbox hostname to one running sandbox server."""

from __future__ import annotations

from sandbox.hosts import ALL_HOSTS


def sandbox_host_map(address: str) -> dict[str, str]:
    return {host: address for host in ALL_HOSTS}


def uses_sandbox(hosts: list[str] | tuple[str, ...]) -> bool:
    return any(host in ALL_HOSTS for host in hosts)
