"""`certwatch check-domain`: score hostnames as lookalikes of official portals (issue 4 §5).

Contract: one JSON line per domain on stdout, `{"domain", "label", "score", "imitates",
"reasons"}`; an invalid name gets `{"domain", "error"}` instead and the rest go on; exit
status 2 if any name was invalid. Without --fetch nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TextIO

from certwatch.config import Config
from certwatch.errors import UserError

if TYPE_CHECKING:
    from classifiers.lookalike.names import NameVerdict

EXIT_OK, EXIT_USAGE = 0, 2
_COMMENT = re.compile(r"\s#")


class CheckDomainError(UserError):
    """check-domain cannot run (unreadable file, no domains, --fetch unavailable)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    help_ = "score domains as lookalikes of official certificate-query sites (JSON lines)"
    check = subparsers.add_parser("check-domain", help=help_, description=help_)
    check.set_defaults(func=cmd_check_domain)
    check.add_argument("domains", nargs="*", metavar="DOMAIN")
    check.add_argument("--in", dest="infile", metavar="FILE",
                       help="read domains from FILE, one a line ('#' comments, '-' for stdin)")
    check.add_argument("--fetch", action="store_true",
                       help="also visit live candidates in a browser (not offline)")


def cmd_check_domain(args: argparse.Namespace, config: Config) -> int:
    from classifiers.lookalike.errors import InvalidDomain
    from classifiers.lookalike.names import analyze_domain
    from classifiers.lookalike.watchlist import load_watchlist, user_watchlist_path

    if not args.domains and not args.infile:
        raise CheckDomainError("give DOMAIN arguments or --in FILE")
    if args.fetch:
        _require_fetch()
    source = _open_input(args.infile)  # before any output: a missing file is a usage error
    extra = user_watchlist_path(config.home)
    watchlist = load_watchlist(extra if extra.is_file() else None)
    invalid = 0
    # With --fetch every line waits for the browser; error lines wait with them so that the
    # output stays in input order.
    held: list[dict | NameVerdict] = []
    out = sys.stdout
    for domain in _domains(args.domains, source):
        row: dict | NameVerdict
        try:
            row = analyze_domain(domain, watchlist)
        except InvalidDomain as exc:
            invalid += 1
            row = {"domain": domain, "error": str(exc)}
        if args.fetch:
            held.append(row)
        else:
            _write(out, row if isinstance(row, dict) else row.as_json())
    if args.fetch:
        verdicts = [row for row in held if not isinstance(row, dict)]
        results = _live_check(verdicts, watchlist, config)
        for row in held:
            _write(out, row if isinstance(row, dict) else next(results))
    out.flush()
    if invalid:
        print(f"certwatch: error: {invalid} invalid domain name(s); each got an error line",
              file=sys.stderr)
    return EXIT_USAGE if invalid else EXIT_OK


def _write(out: TextIO, row: dict) -> None:
    out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _open_input(infile: str | None) -> TextIO | None:
    if infile is None:
        return None
    if infile == "-":
        return sys.stdin
    try:
        return open(infile, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise CheckDomainError(f"cannot read {infile}: {exc.strerror or exc}") from None


def _domains(arguments: list[str], source: TextIO | None) -> Iterator[str]:
    yield from arguments
    if source is None:
        return
    try:
        yield from _lines(source)
    finally:
        if source is not sys.stdin:
            source.close()


def _lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        text = _COMMENT.split(line, 1)[0].strip()  # "name  # note" keeps the name
        if text and not text.startswith("#"):
            yield text


def _require_fetch() -> None:
    try:
        import classifiers.lookalike.pages  # noqa: F401
    except ImportError:
        raise CheckDomainError(
            "--fetch needs the page analysis (classifiers.lookalike.pages), which is not "
            "installed in this build; run without --fetch for the offline name check") from None


def _live_check(verdicts: list[NameVerdict], watchlist: object,
                config: Config) -> Iterator[dict]:
    """The --fetch stage: visit each name and refine its verdict (page side, issue 4 §4)."""
    from classifiers.lookalike import pages

    yield from pages.live_check(verdicts, watchlist, config)
