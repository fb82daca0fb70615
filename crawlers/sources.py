"""Source files: one YAML file per site, validated into typed, frozen configs.

A mistake in a file raises `SourceConfigError` naming the file, the field and what is allowed,
so adding a site needs no Python and a typo never silently crawls the wrong thing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawlers.errors import SourceConfigError

BUNDLED_DIR = Path(__file__).parent / "sources"
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
ACTIONS = ("wait_for", "click_until_gone")


@dataclass(frozen=True)
class Action:
    """A browser step run on a list page before extraction."""

    kind: str  # wait_for | click_until_gone
    selector: str
    item: str | None = None  # click_until_gone: what each click should add more of
    max: int = 50
    timeout: float = 10.0


@dataclass(frozen=True)
class ListSpec:
    item: str
    link: str | None = None
    next: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class DetailSpec:
    fields: dict[str, str]


@dataclass(frozen=True)
class Politeness:
    delay: float = 1.0
    concurrency: int = 2
    autothrottle: bool = True
    obey_robots: bool = True
    robots_reason: str | None = None


@dataclass(frozen=True)
class Limits:
    depth: int = 100
    pages: int = 5000
    list_pages: int = 500
    trap_shape_limit: int = 60
    timeout: float = 30.0
    max_bytes: int = 10 * 1024**2
    retries: int = 2


@dataclass(frozen=True)
class SourceConfig:
    name: str
    title: str
    platform: str
    start_urls: tuple[str, ...]
    list: ListSpec
    detail: DetailSpec | None
    key: str | None
    browser: bool
    encoding: str | None
    allowed_domains: tuple[str, ...]
    politeness: Politeness
    limits: Limits
    enabled: bool
    path: Path
    digest: str

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(sorted({urlsplit(u).hostname or "" for u in self.start_urls}))


# -- validation helpers ---------------------------------------------------------------------
class _Reader:
    """Walks one YAML mapping, collecting the field path for error messages."""

    def __init__(self, path: Path, data: Any, where: str = "") -> None:
        self.path, self.where = path, where
        if not isinstance(data, dict):
            self.fail(where or "(top level)", "a mapping of field: value", data)
        self.data: dict[str, Any] = data

    def fail(self, fld: str, allowed: str, got: Any) -> None:
        raise SourceConfigError(
            f"{self.path}: field '{fld}': expected {allowed}, got {got!r}"
        )

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in self.data:
            if key not in allowed:
                raise SourceConfigError(
                    f"{self.path}: unknown field '{self.name(str(key))}'; "
                    f"allowed here: {', '.join(allowed)}"
                )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...,
            allowed: str = "") -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise SourceConfigError(
                    f"{self.path}: missing required field '{self.name(key)}'"
                    + (f" ({allowed})" if allowed else "")
                )
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(self.name(key), allowed or _kind_name(kind), value)
        return value

    def positive(self, key: str, kind: type, default: Any, *, zero_ok: bool = False) -> Any:
        value = self.get(key, kind, default, allowed=f"a {_kind_name(kind)} "
                         + ("≥ 0" if zero_ok else "> 0"))
        if value < 0 or (value == 0 and not zero_ok):
            self.fail(self.name(key), f"a {_kind_name(kind)} " + ("≥ 0" if zero_ok else "> 0"),
                      self.data[key])  # as the user wrote it, not as converted
        return value

    def selectors(self, key: str) -> tuple[str, ...]:
        value = self.get(key, (str, list), [], allowed="a CSS selector or a list of them")
        values = [value] if isinstance(value, str) else value
        for sel in values:
            if not isinstance(sel, str) or not sel.strip():
                self.fail(self.name(key), "non-empty CSS selector strings", sel)
            _check_css(self.path, self.name(key), sel)
        return tuple(values)

    def sub(self, key: str, default: Any = ...) -> _Reader | None:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise SourceConfigError(f"{self.path}: missing required field '{self.name(key)}'")
            return None
        return _Reader(self.path, self.data[key], self.name(key))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "integer", float: "number", bool: "true/false",
             list: "list", dict: "mapping"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_css(path: Path, fld: str, selector: str) -> None:
    from parsel import Selector  # parsel's own parser is the authority on what is valid

    try:
        Selector(text="<html></html>").css(selector)
    except Exception as exc:  # cssselect raises several parse error types
        raise SourceConfigError(
            f"{path}: field '{fld}': invalid CSS selector {selector!r}: {exc}"
        ) from None


def _fields(reader: _Reader, key: str, required: bool) -> dict[str, str]:
    sub = reader.sub(key, None if not required else ...)
    if sub is None:
        return {}
    out: dict[str, str] = {}
    for name, sel in sub.data.items():
        if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
            sub.fail(sub.name(str(name)), "a lower_snake_case field name", name)
        if not isinstance(sel, str) or not sel.strip():
            sub.fail(sub.name(name), "a CSS selector string", sel)
        _check_css(reader.path, sub.name(name), sel)
        out[name] = sel
    if required and "title" not in out:
        raise SourceConfigError(
            f"{reader.path}: field '{sub.where}' must extract 'title' "
            f"(has: {', '.join(out) or 'nothing'})"
        )
    return out


def _actions(reader: _Reader) -> tuple[Action, ...]:
    raw = reader.get("actions", list, [], allowed="a list of browser steps")
    actions = []
    for i, step in enumerate(raw):
        step_reader = _Reader(reader.path, step, f"{reader.name('actions')}[{i}]")
        kinds = [k for k in ACTIONS if k in step_reader.data]
        if len(kinds) != 1:
            raise SourceConfigError(
                f"{reader.path}: field '{step_reader.where}': each step needs exactly one of "
                f"{', '.join(ACTIONS)}"
            )
        step_reader.check_keys((kinds[0], "item", "max", "timeout"))
        selector = step_reader.get(kinds[0], str, allowed="a CSS selector")
        _check_css(reader.path, step_reader.name(kinds[0]), selector)
        actions.append(Action(
            kind=kinds[0], selector=selector,
            item=step_reader.get("item", str, None, allowed="a CSS selector"),
            max=step_reader.positive("max", int, 50),
            timeout=step_reader.positive("timeout", float, 10.0),
        ))
    return tuple(actions)


def _size(reader: _Reader, key: str, default: int) -> int:
    value = reader.get(key, (int, str), default, allowed="a size like 5MB or a byte count")
    if isinstance(value, int):
        if value <= 0:
            reader.fail(reader.name(key), "a positive size", value)
        return value
    match = SIZE_RE.match(value)
    if not match:
        reader.fail(reader.name(key), "a size like 512KB, 5MB or 1GB", value)
    return int(float(match.group(1)) * SIZE_UNITS[(match.group(2) or "B").upper()])


def parse_source(path: Path, text: str) -> SourceConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}") from None
    top = _Reader(path, data)
    top.check_keys(("name", "title", "platform", "enabled", "start_urls", "browser", "encoding",
                    "key", "allowed_domains", "list", "detail", "politeness", "limits"))
    name = top.get("name", str, allowed="a lower-case name like jobs58")
    if not NAME_RE.match(name):
        top.fail("name", "lower-case letters, digits, '-' or '_', starting with a letter", name)
    start_urls = top.get("start_urls", list, allowed="a list of http(s) URLs")
    if not start_urls:
        top.fail("start_urls", "at least one URL", start_urls)
    for url in start_urls:
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            top.fail("start_urls", "absolute http(s) URLs", url)
    encoding = top.get("encoding", str, None, allowed="a codec name like gbk")
    if encoding:
        try:
            "".encode(encoding)
        except LookupError:
            top.fail("encoding", "a codec Python knows (utf-8, gbk, gb18030, big5 …)", encoding)
    key = top.get("key", str, None, allowed="a regular expression with one group")
    if key:
        try:
            if re.compile(key).groups < 1:
                top.fail("key", "a regular expression with one capturing group", key)
        except re.error as exc:
            top.fail("key", f"a valid regular expression ({exc})", key)

    lst = top.sub("list")
    lst.check_keys(("item", "link", "next", "follow", "fields", "actions"))
    detail_reader = top.sub("detail", None)
    link = lst.get("link", str, None, allowed="a CSS selector for the detail link")
    if link:
        _check_css(path, lst.name("link"), link)
    list_spec = ListSpec(
        item=lst.get("item", str, allowed="a CSS selector for one entry on a list page"),
        link=link,
        next=lst.selectors("next"),
        follow=lst.selectors("follow"),
        fields=_fields(lst, "fields", required=detail_reader is None),
        actions=_actions(lst),
    )
    _check_css(path, lst.name("item"), list_spec.item)
    detail = None
    if detail_reader is not None:
        detail_reader.check_keys(("fields",))
        if not link:
            raise SourceConfigError(
                f"{path}: field 'list.link' is required when 'detail' is given "
                "(how else would the spider reach detail pages?)"
            )
        detail = DetailSpec(fields=_fields(detail_reader, "fields", required=True))
    browser = top.get("browser", bool, False)
    if list_spec.actions and not browser:
        raise SourceConfigError(f"{path}: field 'list.actions' needs 'browser: true'")

    pol = top.sub("politeness", None)
    politeness = Politeness()
    if pol is not None:
        pol.check_keys(("delay", "concurrency", "autothrottle", "obey_robots", "robots_reason"))
        politeness = Politeness(
            delay=pol.positive("delay", float, 1.0, zero_ok=True),
            concurrency=pol.positive("concurrency", int, 2),
            autothrottle=pol.get("autothrottle", bool, True),
            obey_robots=pol.get("obey_robots", bool, True),
            robots_reason=pol.get("robots_reason", str, None),
        )
        if not politeness.obey_robots and not (politeness.robots_reason or "").strip():
            raise SourceConfigError(
                f"{path}: field 'politeness.robots_reason' is required when "
                "'politeness.obey_robots' is false: state why this site's robots.txt is ignored"
            )
    lim = top.sub("limits", None)
    limits = Limits()
    if lim is not None:
        lim.check_keys(("depth", "pages", "list_pages", "trap_shape_limit", "timeout",
                        "max_bytes", "retries"))
        limits = Limits(
            depth=lim.positive("depth", int, limits.depth),
            pages=lim.positive("pages", int, limits.pages),
            list_pages=lim.positive("list_pages", int, limits.list_pages),
            trap_shape_limit=lim.positive("trap_shape_limit", int, limits.trap_shape_limit),
            timeout=lim.positive("timeout", float, limits.timeout),
            max_bytes=_size(lim, "max_bytes", limits.max_bytes),
            retries=lim.positive("retries", int, limits.retries, zero_ok=True),
        )
    domains = top.get("allowed_domains", list, None, allowed="a list of host names")
    hosts = {urlsplit(u).hostname for u in start_urls}
    return SourceConfig(
        name=name,
        title=top.get("title", str, name),
        platform=top.get("platform", str, "", allowed="job_board, marketplace, forum, …"),
        start_urls=tuple(start_urls),
        list=list_spec,
        detail=detail,
        key=key,
        browser=browser,
        encoding=encoding,
        allowed_domains=tuple(domains) if domains else tuple(sorted(h for h in hosts if h)),
        politeness=politeness,
        limits=limits,
        enabled=top.get("enabled", bool, True),
        path=path,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_source_file(path: Path) -> SourceConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceConfigError(f"{path}: cannot read source file: {exc}") from None
    return parse_source(path, text)


def source_dirs(user_dir: Path | None = None) -> list[Path]:
    return [BUNDLED_DIR] + ([user_dir] if user_dir else [])


def load_sources(user_dir: Path | None = None) -> dict[str, SourceConfig]:
    """Every source, bundled first; a user file with the same name replaces a bundled one."""
    sources: dict[str, SourceConfig] = {}
    for directory in source_dirs(user_dir):
        if not directory.is_dir():
            if directory is not BUNDLED_DIR:
                raise SourceConfigError(f"{directory}: sources directory does not exist")
            continue
        seen_here: dict[str, Path] = {}
        for path in sorted(directory.glob("*.y*ml")):
            config = load_source_file(path)
            if config.name in seen_here:
                raise SourceConfigError(
                    f"{path}: source name '{config.name}' is already used by "
                    f"{seen_here[config.name]}"
                )
            seen_here[config.name] = path
            sources[config.name] = config
    return sources


def select_sources(names: Iterable[str], user_dir: Path | None = None) -> list[SourceConfig]:
    available = load_sources(user_dir)
    names = list(names)
    if not names:
        return [s for s in available.values() if s.enabled]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SourceConfigError(
            f"unknown source(s): {', '.join(unknown)}; available: {', '.join(sorted(available))}"
        )
    return [available[n] for n in names]
