"""The watchlist: official portals lookalikes imitate, and the vocabulary their names reuse.

Bundled: `classifiers/data/official_sites.yaml` (sites) and `lookalike_aliases.yaml`
(vocabulary). A user file (`$CERTWATCH_HOME/official_sites.yaml`, see `user_watchlist_path`)
adds sites (same host: replaces the bundled entry) and may add vocabulary under the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from classifiers.lookalike import psl
from classifiers.lookalike.errors import WatchlistError

DATA = Path(__file__).resolve().parent.parent / "data"
SITES = DATA / "official_sites.yaml"
VOCABULARY = DATA / "lookalike_aliases.yaml"
USER_FILE = "official_sites.yaml"

_LIST_KEYS = ("query_words", "gov_tokens", "department_tokens", "generic_labels",
              "swap_suffixes", "keyboard")
_ZH_KEYS = ("zh_agency", "zh_query")


@dataclass(frozen=True)
class Site:
    host: str
    name: str
    owner: str = ""
    pinyin: str = ""
    initialism: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    region: str | None = None

    @property
    def registered(self) -> str:
        return psl.split(self.host).registered


@dataclass(frozen=True)
class Vocabulary:
    query_words: tuple[str, ...] = ()
    gov_tokens: tuple[str, ...] = ()
    department_tokens: tuple[str, ...] = ()
    generic_labels: tuple[str, ...] = ()
    zh_agency: Mapping[str, str] = field(default_factory=dict)  # 住建 → zhujian (reason id)
    zh_query: Mapping[str, str] = field(default_factory=dict)
    swap_suffixes: tuple[str, ...] = ()
    keyboard: tuple[str, ...] = ()
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Watchlist:
    sites: tuple[Site, ...]
    vocabulary: Vocabulary
    sources: tuple[Path, ...] = ()
    # Filled lazily by names.index_for(): the precomputed matching tables.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def site(self, host: str) -> Site | None:
        host = host.lower().removeprefix("www.")
        return next((s for s in self.sites if s.host.removeprefix("www.") == host), None)


def user_watchlist_path(home: Path) -> Path:
    """Where users put their own official sites: `$CERTWATCH_HOME/official_sites.yaml`."""
    return home / USER_FILE


def load_watchlist(extra: Path | None = None) -> Watchlist:
    """Bundled sites and vocabulary, extended by `extra` (a YAML file in the same format)."""
    sites = _sites(SITES, _read(SITES))
    vocab = _vocabulary(VOCABULARY, _read(VOCABULARY))
    sources = [SITES, VOCABULARY]
    if extra is not None:
        if not extra.is_file():
            raise WatchlistError(f"{extra}: no such watchlist file")
        data = _read(extra)
        by_host = {s.host: s for s in sites}
        for site in _sites(extra, data, required=False):
            by_host[site.host] = site
        sites = list(by_host.values())
        vocab = _merge(vocab, _vocabulary(extra, data))
        sources.append(extra)
    regions = vocab.regions
    for site in sites:
        if site.region is not None and site.region not in regions:
            raise WatchlistError(f"site {site.host}: region {site.region!r} is not among the "
                                 f"regions of {VOCABULARY.name} ({', '.join(sorted(regions))})")
    return Watchlist(tuple(sites), vocab, tuple(sources))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise WatchlistError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise WatchlistError(f"{path}: expected a mapping with a 'sites' list")
    return data


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise WatchlistError(f"{path}: {where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _tokens(path: Path, where: str, value: Any) -> tuple[str, ...]:
    tokens = tuple(t.lower() for t in _strings(path, where, value))
    bad = [t for t in tokens if not (t.isascii() and t.isalnum())]
    if bad:
        raise WatchlistError(f"{path}: {where}: tokens must be ASCII letters/digits, got {bad}")
    return tokens


def _sites(path: Path, data: dict[str, Any], required: bool = True) -> list[Site]:
    raw = data.get("sites")
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or not raw:
        raise WatchlistError(f"{path}: expected a non-empty 'sites' list")
    sites = []
    for number, entry in enumerate(raw, 1):
        where = f"sites[{number}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("host"), str):
            raise WatchlistError(f"{path}: {where}: each site needs a 'host'")
        host = entry["host"].strip().lower().rstrip(".")
        where = f"site {host}"
        if not psl.split(host).registered:
            raise WatchlistError(f"{path}: {where}: not a hostname with a public suffix")
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise WatchlistError(f"{path}: {where}: needs a Chinese 'name'")
        unknown = set(entry) - {"host", "name", "owner", "pinyin", "initialism", "titles",
                                "brands", "tokens", "region"}
        if unknown:
            raise WatchlistError(f"{path}: {where}: unknown key(s) {sorted(unknown)}")
        region = entry.get("region")
        sites.append(Site(
            host=host, name=entry["name"].strip(), owner=str(entry.get("owner") or ""),
            pinyin=str(entry.get("pinyin") or "").lower(),
            initialism=_tokens(path, f"{where}: initialism", entry.get("initialism")),
            titles=_strings(path, f"{where}: titles", entry.get("titles")),
            brands=_tokens(path, f"{where}: brands", entry.get("brands")),
            tokens=_tokens(path, f"{where}: tokens", entry.get("tokens")),
            region=str(region).lower() if region else None))
    return sites


def _vocabulary(path: Path, data: dict[str, Any]) -> Vocabulary:
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        if key in ("swap_suffixes", "keyboard"):
            lists[key] = tuple(v.lower() for v in _strings(path, key, data.get(key)))
        else:
            lists[key] = _tokens(path, key, data.get(key))
    zh: dict[str, dict[str, str]] = {}
    for key in _ZH_KEYS:
        raw = data.get(key) or {}
        if not isinstance(raw, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v.isascii() and v.isalnum()
                for k, v in raw.items()):
            raise WatchlistError(f"{path}: {key}: expected a mapping 中文词 → ascii id")
        zh[key] = {k.strip(): v.lower() for k, v in raw.items()}
    regions_raw = data.get("regions") or {}
    if not isinstance(regions_raw, dict):
        raise WatchlistError(f"{path}: regions: expected a mapping region → spellings")
    regions = {str(k).lower(): _tokens(path, f"regions.{k}", v) for k, v in regions_raw.items()}
    return Vocabulary(**lists, **zh, regions=regions)


def _merge(base: Vocabulary, more: Vocabulary) -> Vocabulary:
    lists = {key: tuple(dict.fromkeys(getattr(base, key) + getattr(more, key)))
             for key in _LIST_KEYS}
    zh = {key: {**getattr(base, key), **getattr(more, key)} for key in _ZH_KEYS}
    regions = dict(base.regions)
    for key, spellings in more.regions.items():
        regions[key] = tuple(dict.fromkeys(regions.get(key, ()) + spellings))
    return Vocabulary(**lists, **zh, regions=regions)
