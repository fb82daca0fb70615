"""The hunt: discover → score names → resolve → capture, compare, probe → combine → store.

Stages stay separate (dnstwist's design): `discovery.candidates` and `names.analyze_domain`
(the name side), a pluggable `Resolver`, `pages.visit`/`pages.signals` in one Chromium, and
the store. Names that do not resolve are recorded as such and never fetched.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from classifiers.lookalike import fingerprint as fingerprint_mod
from classifiers.lookalike import forms, pages
from classifiers.lookalike.resolve import Resolution, Resolver
from store import lookalike_records as records
from store.clock import utcnow

if TYPE_CHECKING:
    from classifiers.lookalike.discovery import ListingText

ORIGIN_ORDER = {"manual": 0, "feed": 1, "listing": 2, "permutation": 3}
NOT_RESOLVING = ("page-not-resolving", "域名无法解析，未访问页面")
NOT_FETCHED = ("page-not-fetched", "未访问页面（--no-fetch）")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Item:
    """A candidate with its name verdict, ready to be checked."""

    domain: str
    origin: str
    detail: str
    name: Any  # names.NameVerdict


@dataclass
class Checked:
    item: Item
    resolution: Resolution
    verdict: pages.Verdict
    candidate_id: int
    capture_id: int | None = None
    verdict_id: int | None = None
    capture_dir: str | None = None


@dataclass
class HuntReport:
    checked: list[Checked] = field(default_factory=list)
    discovered: int = 0
    invalid: int = 0
    resolving: int = 0
    fetched: int = 0
    fingerprints: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lookalikes(self) -> list[Checked]:
        """Live sites judged lookalike (names that do not resolve are not counted here)."""
        return [c for c in self.checked
                if c.resolution.resolves and c.verdict.label == pages.LOOKALIKE]

    @property
    def name_only_lookalikes(self) -> int:
        return sum(1 for c in self.checked
                   if not c.resolution.resolves and c.verdict.label == pages.LOOKALIKE)


def captures_dir(home: Path) -> Path:
    return home / "lookalike" / "captures"


class Hunter:
    """Checks items against the live web (as the resolver sees it) and stores the results."""

    def __init__(self, engine: Engine, home: Path, watchlist: Any, resolver: Resolver, *,
                 fetch: bool = True, refresh_fingerprints: bool = False,
                 progress: Progress | None = None) -> None:
        self.engine = engine
        self.home = home
        self.watchlist = watchlist
        self.resolver = resolver
        self.fetch = fetch
        self.refresh_fingerprints = refresh_fingerprints
        self.progress = progress or (lambda _line: None)
        self.built: list[str] = []

    def check(self, items: Sequence[Item]) -> list[Checked]:
        at = utcnow()
        resolutions = self.resolver.resolve_many(i.domain for i in items)
        ids = records.upsert_candidates(self.engine, (
            records.CandidateSeen(i.domain, i.origin, i.detail, i.name.label,
                                  float(i.name.score), i.name.imitates, list(i.name.reasons),
                                  resolutions[i.domain].resolves,
                                  list(resolutions[i.domain].addresses)) for i in items), at)
        checked: list[Checked] = []
        live = [i for i in items if resolutions[i.domain].resolves]
        for item in items:
            if not resolutions[item.domain].resolves:
                verdict = pages.combine(item.name, None, NOT_RESOLVING)
                checked.append(Checked(item, resolutions[item.domain], verdict, ids[item.domain]))
        if not self.fetch:
            for item in live:
                verdict = pages.combine(item.name, None, NOT_FETCHED)
                checked.append(self._store(item, resolutions[item.domain], verdict, ids, None))
            return checked
        if not live:
            return checked
        from playwright.sync_api import Error as PlaywrightError

        from classifiers.lookalike.capture import BrowserSession

        with BrowserSession(self.resolver.host_map()) as session:
            fingerprints = self.fingerprints(session)
            for n, item in enumerate(live, 1):
                out_dir = self._new_dir(item.domain)
                res = resolutions[item.domain]
                meta = {"origin": item.origin, "detail": item.detail,
                        "resolver": self.resolver.name, "addresses": list(res.addresses),
                        "name_verdict": item.name.as_json()}
                try:
                    visit = pages.visit(session, item.domain, out_dir, meta=meta)
                except PlaywrightError as exc:  # one broken site must not end the hunt
                    why = str(exc).strip().splitlines()[0][:200]
                    verdict = pages.combine(item.name, None,
                                            ("page-check-failed", f"页面检查失败：{why}"))
                    checked.append(self._store(item, res, verdict, ids, None))
                    self.progress(f"[{n}/{len(live)}] {item.domain}: page check failed: {why}")
                    continue
                page = pages.signals(visit, fingerprints, prefer=item.name.imitates)
                verdict = pages.combine(item.name, page)
                row = self._store(item, resolutions[item.domain], verdict, ids, visit)
                checked.append(row)
                self.progress(f"[{n}/{len(live)}] {item.domain}: {verdict.label} "
                              f"{verdict.score:.2f} (探针 {page.canary})")
        return checked

    def fingerprints(self, session: Any) -> dict[str, fingerprint_mod.Fingerprint]:
        """Stored official fingerprints, building those missing for official sites that resolve."""
        stored = fingerprint_mod.load_all(self.home)
        hosts = [s.host for s in self.watchlist.sites
                 if self.refresh_fingerprints or s.host not in stored]
        for host, res in self.resolver.resolve_many(hosts).items():
            if not res.resolves:
                continue
            visit = pages.visit(session, host, self._new_dir(host), probe=False)
            if not visit.live:
                self.progress(f"fingerprint of {host}: not reachable ({visit.landing.error})")
                continue
            fp = pages.fingerprint_visit(visit, browser=session.version)
            fingerprint_mod.save(self.home, fp)
            stored[host] = fp
            self.built.append(host)
            self.progress(f"fingerprint of official site {host} saved "
                          f"({len(fp.shingles)} shingles, {len(fp.emblems)} emblem hash(es))")
        return stored

    def _new_dir(self, domain: str) -> Path:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        return captures_dir(self.home) / domain / f"{stamp}-{secrets.token_hex(3)}"

    def _store(self, item: Item, resolution: Resolution, verdict: pages.Verdict,
               ids: dict[str, int], visit: pages.Visit | None) -> Checked:
        candidate_id = ids[item.domain]
        capture_id = None
        if visit is not None:
            capture_id = records.add_capture(self.engine, candidate_id, _capture_fields(visit))
        verdict_id = records.add_verdict(self.engine, candidate_id, capture_id, utcnow(),
                                         verdict.as_json())
        return Checked(item, resolution, verdict, candidate_id, capture_id, verdict_id,
                       str(visit.out.root) if visit else None)


def _capture_fields(v: pages.Visit) -> dict[str, Any]:
    landing = v.landing
    forms_seen = [{"page": "landing" if p is landing else "query", "action": f.get("action"),
                   "method": f.get("method"), "scripted": f.get("scripted"),
                   "asks": forms.asks_for(f)} for p in v.pages for f in p.forms]
    exchange = v.canary.exchange
    return {
        "captured_at": landing.captured_at, "url": landing.requested_url,
        "final_url": landing.final_url or None, "status": landing.status,
        "title": landing.title, "directory": str(v.out.root),
        "screenshot_path": str(landing.screenshot.path) if landing.screenshot else None,
        "screenshot_sha256": landing.screenshot.sha256 if landing.screenshot else None,
        "dom_path": str(landing.dom.path) if landing.dom else None,
        "dom_sha256": landing.dom.sha256 if landing.dom else None,
        "manifest_path": str(v.manifest.path) if v.manifest else None,
        "manifest_sha256": v.manifest.sha256 if v.manifest else None,
        "forms": forms_seen, "canary_result": v.canary.outcome,
        "canary_number": v.canary.canary.cert_number if v.canary.canary else None,
        "exchange_path": str(exchange.path) if exchange else None,
        "exchange_sha256": exchange.sha256 if exchange else None,
        "error": landing.error,
    }


def ordered(items: Iterable[Item]) -> list[Item]:
    """Names seen in the wild first (feeds, listings), then permutations by name score."""
    return sorted(items, key=lambda i: (ORIGIN_ORDER.get(i.origin, 9), -float(i.name.score),
                                        i.domain))


def hunt(engine: Engine, home: Path, watchlist: Any, resolver: Resolver, *,
         feeds: Sequence[Path] = (), listing_texts: Iterable[str | ListingText] = (),
         fetch: bool = True, limit: int | None = None, fuzzers: Sequence[str] | None = None,
         refresh_fingerprints: bool = False, progress: Progress | None = None) -> HuntReport:
    from classifiers.lookalike.discovery import candidates
    from classifiers.lookalike.errors import InvalidDomain
    from classifiers.lookalike.feeds import FeedProblems
    from classifiers.lookalike.names import analyze_domain

    started = time.monotonic()
    report = HuntReport()
    problems = FeedProblems()
    items = []
    for candidate in candidates(watchlist, feeds=feeds, listing_texts=listing_texts,
                                fuzzers=fuzzers, problems=problems):
        report.discovered += 1
        try:
            name = analyze_domain(candidate.domain, watchlist)
        except InvalidDomain:
            report.invalid += 1
            continue
        items.append(Item(candidate.domain, candidate.origin, candidate.detail, name))
    items = ordered(items)[:limit] if limit is not None else ordered(items)
    report.problems = list(problems.lines)
    hunter = Hunter(engine, home, watchlist, resolver, fetch=fetch,
                    refresh_fingerprints=refresh_fingerprints, progress=progress)
    report.checked = hunter.check(items)
    report.fingerprints = hunter.built
    report.resolving = sum(1 for c in report.checked if c.resolution.resolves)
    report.fetched = sum(1 for c in report.checked if c.capture_id is not None)
    report.seconds = time.monotonic() - started
    return report


def live_check(verdicts: Sequence[Any], watchlist: Any, config: Any) -> Iterator[dict]:
    """check-domain --fetch: the hunt's page check for each given domain, stored, as JSON.

    One result per verdict, in order. The resolver, the browser and the store get the ASCII
    (punycode) form, as in a hunt, so both find the same candidate row; the output keeps the
    contract's Unicode form.
    """
    from certwatch.hunt_cli import resolver_for
    from classifiers.lookalike.hostnames import normalize
    from store.db import open_store

    engine = open_store(config.db_url)
    items: dict[str, Item] = {}
    for verdict in verdicts:
        ascii_name = normalize(verdict.domain).ascii
        items.setdefault(ascii_name, Item(ascii_name, "manual", "check-domain", verdict))
    with resolver_for(config, "auto") as resolver:
        hunter = Hunter(engine, config.home, watchlist, resolver)
        by_domain = {c.item.domain: c for c in hunter.check(list(items.values()))}
    for verdict in verdicts:
        checked = by_domain[normalize(verdict.domain).ascii]
        result = checked.verdict.as_json()  # its domain is the name verdict's Unicode form
        if checked.capture_dir:
            result["capture"] = checked.capture_dir
        yield result
