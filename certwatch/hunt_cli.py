"""`certwatch hunt`: find lookalike query sites, visit the live ones, prove fakes, store it all.

The library does the work (`classifiers.lookalike.hunt`); this module picks the resolver (the
sandbox's loopback map or the system's DNS), runs the hunt and prints the summary.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from certwatch.arguments import positive
from certwatch.config import Config
from certwatch.errors import UserError

EXIT_OK = 0
RESOLVERS = ("auto", "sandbox", "system")
SAMPLE_FEED = Path(__file__).resolve().parent.parent / "sandbox" / "feeds" / "nrd-sample.txt"


class HuntError(UserError):
    """The hunt cannot run as asked (bad feed path, resolver choice, …)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    help_ = ("discover lookalike certificate-query sites, visit the live ones in a browser, "
             "probe them with an impossible certificate and store the verdicts")
    hunt = subparsers.add_parser("hunt", help=help_, description=help_)
    hunt.set_defaults(func=cmd_hunt)
    hunt.add_argument("--feed", nargs="+", action="extend", default=[], metavar="FILE",
                      help="domain feeds: one name a line, or certificate-transparency JSON "
                           "lines (--feed a b, or --feed a --feed b)")
    hunt.add_argument("--no-fetch", action="store_true",
                      help="resolve and score names only; do not open any page")
    hunt.add_argument("--limit", type=positive, default=None, metavar="N",
                      help="check at most N candidates (feed and listing names first, then "
                           "permutations by name score)")
    hunt.add_argument("--no-listings", action="store_true",
                      help="do not take hostnames from stored listings")
    hunt.add_argument("--resolver", choices=RESOLVERS, default="auto",
                      help="sandbox: the sandbox's hostnames on loopback, nothing else "
                           "resolves; system: DNS; auto (default): CERTWATCH_RESOLVER, else "
                           "sandbox unless CERTWATCH_SANDBOX=off")
    hunt.add_argument("--refresh-fingerprints", action="store_true",
                      help="capture the official sites again and replace their fingerprints")


def resolver_choice(config: Config, choice: str = "auto") -> str:
    """`sandbox` or `system`, from --resolver, CERTWATCH_RESOLVER and CERTWATCH_SANDBOX."""
    if choice == "auto":
        choice = os.environ.get("CERTWATCH_RESOLVER") or "auto"
    if choice not in RESOLVERS:
        raise HuntError(f"CERTWATCH_RESOLVER={choice!r}: expected one of {', '.join(RESOLVERS)}")
    if choice == "auto":
        choice = "system" if config.sandbox == "off" else "sandbox"
    if choice == "sandbox" and config.sandbox == "off":
        raise HuntError("the sandbox resolver needs the sandbox web, but CERTWATCH_SANDBOX=off; "
                        "use --resolver system for real DNS")
    return choice


@contextmanager
def resolver_for(config: Config, choice: str = "auto") -> Iterator[object]:
    """The resolver for a hunt; a sandbox one brings up (or reaches) the sandbox web."""
    from classifiers.lookalike.resolve import StaticResolver, SystemResolver

    if resolver_choice(config, choice) == "system":
        yield SystemResolver()
        return
    from certwatch.sandbox_proc import sandbox_for
    from crawlers.sandbox_map import sandbox_host_map

    with sandbox_for(config, None) as address:
        print(f"resolver: sandbox web at {address} (only its hostnames resolve)",
              file=sys.stderr)
        yield StaticResolver(sandbox_host_map(address))


def run_hunt(config: Config, feeds: Sequence[Path], *, fetch: bool = True,
             limit: int | None = None, listings: bool = True, resolver: str = "auto",
             refresh_fingerprints: bool = False) -> int:
    from classifiers.lookalike.discovery import listing_texts
    from classifiers.lookalike.hunt import hunt
    from classifiers.lookalike.watchlist import load_watchlist, user_watchlist_path
    from store.bodies import BodyStore
    from store.db import open_store

    for feed in feeds:
        if not feed.is_file():
            raise HuntError(f"--feed {feed}: no such file")
    resolver = resolver_choice(config, resolver)  # fail before any work
    config.ensure_dirs()
    engine = open_store(config.db_url)
    extra = user_watchlist_path(config.home)
    watchlist = load_watchlist(extra if extra.is_file() else None)
    texts = list(listing_texts(engine, bodies=BodyStore(config.bodies_dir))) if listings else []
    print(f"hunting: {len(watchlist.sites)} official site(s), {len(feeds)} feed(s), "
          f"{len(texts)} stored listing(s)", file=sys.stderr)
    with resolver_for(config, resolver) as chosen:
        report = hunt(engine, config.home, watchlist, chosen, feeds=feeds, listing_texts=texts,
                      fetch=fetch, limit=limit, refresh_fingerprints=refresh_fingerprints,
                      progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(render(report))
    return EXIT_OK


def cmd_hunt(args: argparse.Namespace, config: Config) -> int:
    return run_hunt(config, [Path(f) for f in args.feed], fetch=not args.no_fetch,
                    limit=args.limit, listings=not args.no_listings, resolver=args.resolver,
                    refresh_fingerprints=args.refresh_fingerprints)


# -- the summary ------------------------------------------------------------------------------
HEADERS = ("域名 domain", "来源 origin", "名称 name", "探针 canary", "判定 verdict", "分数 score",
           "仿冒 imitates")
CANARY_ZH = {"valid": "称有效", "not_found": "查无", "unclear": "不明", "no_form": "无表单",
             "failed": "失败", None: "-"}
LABEL_ZH = {"lookalike": "仿冒", "official": "官方", "benign": "正常"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render(report) -> str:  # noqa: ANN001 - classifiers.lookalike.hunt.HuntReport
    """One-screen summary: every resolving candidate, then why the lookalikes are fake."""
    rows = []
    shown = sorted((c for c in report.checked if c.resolution.resolves),
                   key=lambda c: (-c.verdict.score, c.item.domain))
    for c in shown:
        page = c.verdict.page
        rows.append((c.item.domain, c.item.origin, f"{c.item.name.label} {c.item.name.score:.2f}",
                     CANARY_ZH.get(page.canary if page else None, "-"),
                     f"{LABEL_ZH.get(c.verdict.label, c.verdict.label)} {c.verdict.label}",
                     f"{c.verdict.score:.2f}", c.verdict.imitates or "-"))
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(HEADERS)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(HEADERS, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    quiet = len(report.checked) - len(shown)
    lines.append(
        f"候选 candidates {report.discovered}（checked {len(report.checked)}），"
        f"可解析 resolving {report.resolving}，已访问 fetched {report.fetched}，"
        f"在线仿冒 live lookalikes {len(report.lookalikes)}；{quiet} 个无法解析（其中名称可疑 "
        f"{report.name_only_lookalikes}；已记录，未访问 / recorded, not fetched）；"
        f"{report.seconds:.1f} s")
    if report.fingerprints:
        lines.append(f"官方指纹 fingerprints built: {', '.join(report.fingerprints)}")
    for c in report.lookalikes:
        if c.verdict.page is None:
            continue
        lines.append(f"\n{c.item.domain}（{c.verdict.label} {c.verdict.score:.2f}）理由：")
        lines += [f"  - {note}" for note in c.verdict.notes[:6]]
        if c.capture_dir:
            lines.append(f"  证据 evidence: {c.capture_dir}")
    if report.problems:
        lines.append(f"feed lines skipped: {len(report.problems)} (first: {report.problems[0]})")
    return "\n".join(lines)
