"""The operator's settings for nightly runs: `CERTWATCH_HOME/certwatch.yaml` plus env overrides.

Every key is optional; a wrong type or an unknown key is reported with its name and what is
allowed, before anything runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from certwatch.config import Config
from certwatch.errors import UserError

DEFAULT_SCHEDULE = "30 2 * * *"  # 02:30 every night, in `timezone`


class NightlyConfigError(UserError):
    """certwatch.yaml (or an override) is malformed."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "certwatch@localhost"
    to: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = None
    starttls: bool = False


@dataclass(frozen=True)
class MonitorSettings:
    drop_ratio: float = 0.5      # flag a source below this share of its recent median
    window: int = 7              # nights the median is taken over
    min_history: int = 3         # nights needed before the drop check applies
    error_rate: float = 0.25     # flag at or above this share of failed pages ...
    error_spike: float = 2.0     # ... or this many times the recent median error rate


@dataclass(frozen=True)
class NightlySettings:
    path: Path | None
    schedule: str = DEFAULT_SCHEDULE
    timezone: str = "Asia/Shanghai"
    sources: tuple[str, ...] = ()
    night: int | None = None
    feeds: tuple[Path, ...] = ()
    review_url: str = "http://127.0.0.1:8000"
    webhook_url: str | None = None
    smtp: SmtpSettings | None = None
    evidence_threshold: float | None = None
    evidence_limit: int = 20
    hunt_enabled: bool = True
    hunt_fetch: bool = True
    hunt_limit: int | None = None
    digest_limit: int = 50
    monitor: MonitorSettings = field(default_factory=MonitorSettings)


_TOP = {"schedule", "timezone", "sources", "night", "feeds", "hunt", "review_url", "webhook",
        "smtp", "evidence", "digest_limit", "monitor"}


def config_path(config: Config, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get("CERTWATCH_CONFIG")
    return Path(explicit) if explicit else config.home / "certwatch.yaml"


def load_nightly_settings(config: Config,
                          environ: dict[str, str] | None = None) -> NightlySettings:
    env = os.environ if environ is None else environ
    path = config_path(config, env)
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            raw = yaml.safe_load(path.read_text("utf-8")) or {}
        except yaml.YAMLError as exc:
            raise NightlyConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise NightlyConfigError(f"{path}: expected a mapping of settings at the top")
    elif env.get("CERTWATCH_CONFIG"):
        raise NightlyConfigError(f"CERTWATCH_CONFIG={path}: no such file")
    where = str(path)
    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise NightlyConfigError(f"{where}: unknown setting(s) {unknown}; "
                                 f"allowed: {sorted(_TOP)}")
    webhook = _mapping(raw, "webhook", where)
    smtp_raw = _mapping(raw, "smtp", where)
    evidence = _mapping(raw, "evidence", where)
    monitor_raw = _mapping(raw, "monitor", where)
    hunt = _mapping(raw, "hunt", where)
    base = path.parent
    feeds = tuple(_resolve(base, f) for f in _strings(raw, "feeds", where))

    schedule = env.get("CERTWATCH_SCHEDULE") or _str(raw, "schedule", where, DEFAULT_SCHEDULE)
    _check_cron(schedule, "CERTWATCH_SCHEDULE / schedule")
    timezone = _str(raw, "timezone", where, "Asia/Shanghai")
    _check_zone(timezone, where)
    threshold = env.get("CERTWATCH_EVIDENCE_THRESHOLD") or evidence.get("threshold")
    smtp_host = env.get("CERTWATCH_SMTP_HOST") or smtp_raw.get("host")
    smtp = None
    if smtp_host:
        to = env.get("CERTWATCH_SMTP_TO")
        smtp = SmtpSettings(
            host=str(smtp_host),
            port=_int(env.get("CERTWATCH_SMTP_PORT") or smtp_raw.get("port", 25),
                      "smtp.port"),
            sender=str(smtp_raw.get("from", "certwatch@localhost")),
            to=tuple(to.split(",")) if to else tuple(_strings(smtp_raw, "to", where + " smtp")),
            username=smtp_raw.get("username"),
            # A password belongs in the environment, not in a file that gets copied around.
            password=env.get("CERTWATCH_SMTP_PASSWORD"),
            starttls=bool(smtp_raw.get("starttls", False)),
        )
        if not smtp.to:
            raise NightlyConfigError(f"{where}: smtp.to: give at least one recipient")
    night = raw.get("night")
    return NightlySettings(
        path=path if path.is_file() else None,
        schedule=schedule,
        timezone=timezone,
        sources=tuple(_strings(raw, "sources", where)),
        night=_int(night, "night") if night is not None else None,
        feeds=feeds,
        review_url=(env.get("CERTWATCH_REVIEW_URL")
                    or _str(raw, "review_url", where, "http://127.0.0.1:8000")).rstrip("/"),
        webhook_url=env.get("CERTWATCH_WEBHOOK_URL") or webhook.get("url"),
        smtp=smtp,
        evidence_threshold=_float(threshold, "evidence.threshold") if threshold else None,
        evidence_limit=_int(evidence.get("limit", 20), "evidence.limit"),
        hunt_enabled=bool(hunt.get("enabled", True)),
        hunt_fetch=bool(hunt.get("fetch", True)),
        hunt_limit=_int(hunt["limit"], "hunt.limit") if hunt.get("limit") else None,
        digest_limit=_int(raw.get("digest_limit", 50), "digest_limit"),
        monitor=MonitorSettings(**{
            k: (_float(v, f"monitor.{k}") if k in ("drop_ratio", "error_rate", "error_spike")
                else _int(v, f"monitor.{k}"))
            for k, v in monitor_raw.items()
            if _known_monitor_key(k, where)}),
    )


def _known_monitor_key(key: str, where: str) -> bool:
    allowed = set(MonitorSettings.__dataclass_fields__)
    if key not in allowed:
        raise NightlyConfigError(f"{where}: monitor.{key}: unknown; allowed: {sorted(allowed)}")
    return True


def _mapping(raw: dict, key: str, where: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise NightlyConfigError(f"{where}: {key}: expected a mapping, got {value!r}")
    return value


def _strings(raw: dict, key: str, where: str) -> list[str]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NightlyConfigError(f"{where}: {key}: expected a list of strings, got {value!r}")
    return value


def _str(raw: dict, key: str, where: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise NightlyConfigError(f"{where}: {key}: expected a string, got {value!r}")
    return value


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NightlyConfigError(f"{name}: expected a whole number, got {value!r}") from None


def _float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise NightlyConfigError(f"{name}: expected a number, got {value!r}") from None


def _resolve(base: Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path


def _check_cron(expr: str, name: str) -> None:
    from croniter import croniter

    if not croniter.is_valid(expr):
        raise NightlyConfigError(
            f"{name}: {expr!r} is not a cron expression (five fields, e.g. '30 2 * * *')")


def _check_zone(name: str, where: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise NightlyConfigError(f"{where}: timezone: unknown zone {name!r}") from None
