"""`certwatch evidence export|verify|handover`: evidence packets for referral."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from certwatch.config import Config

EXIT_OK, EXIT_FAILED = 0, 1


def _tsa_settings() -> tuple[str | None, Path | None]:
    url = os.environ.get("CERTWATCH_TSA_URL") or None
    ca = os.environ.get("CERTWATCH_TSA_CA") or None
    return url, Path(ca) if ca else None


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    from reports.evidence.packet import ExportOptions, export_packet
    from store.db import open_store

    tsa_url, tsa_ca = _tsa_settings()
    engine = open_store(config.db_url)
    result = export_packet(engine, config.home, args.ids, ExportOptions(
        out_dir=Path(args.out), case=args.case, operator=args.operator, tsa_url=tsa_url,
        tsa_ca=tsa_ca, sources_dir=config.sources_dir))
    print(result.path)
    print(f"case {result.case}: {len(result.items)} item(s), {result.files} files; "
          f"manifest SHA-256 {result.manifest_sha256}; "
          f"{'timestamped' if result.timestamped else 'no timestamp (CERTWATCH_TSA_URL unset)'};"
          f" custody entries {result.custody_entries}; for {result.agency}", file=sys.stderr)
    return EXIT_OK


def _tsa_ca() -> bytes | None:
    from reports.evidence.errors import EvidenceError

    _url, ca_path = _tsa_settings()
    if ca_path is None:
        return None
    try:
        return ca_path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"CERTWATCH_TSA_CA={ca_path}: {exc.strerror}") from None


def _trusted(args: argparse.Namespace, config: Config) -> frozenset[str] | None:
    """--key-fingerprint (repeatable), else CERTWATCH_EVIDENCE_KEY (comma-separated), else
    this installation's own key; None when none of them exists."""
    from reports.evidence import signing

    given = list(args.key_fingerprint or [])
    if not given:
        given = [f for f in (os.environ.get("CERTWATCH_EVIDENCE_KEY") or "").split(",")
                 if f.strip()]
    if given:
        return frozenset(signing.normalise_fingerprint(f) for f in given)
    own = signing.home_fingerprint(config.home)
    return frozenset({own}) if own else None


def cmd_verify(args: argparse.Namespace, config: Config) -> int:
    from reports.evidence.verify import verify_packet

    verdict = verify_packet(Path(args.packet), tsa_ca=_tsa_ca(), home=config.home,
                            trusted=_trusted(args, config))
    for line in verdict.summary:
        print(f"  {line}")
    if verdict.ok:
        print(f"OK {args.packet}: intact")
        return EXIT_OK
    print(f"FAILED {args.packet}: {verdict.failure}")
    return EXIT_FAILED


def cmd_handover(args: argparse.Namespace, config: Config) -> int:
    from reports.evidence.handover import hand_over
    from reports.evidence.packet import default_operator

    result = hand_over(Path(args.packet), config.home, to=args.to,
                       operator=args.operator or default_operator(), note=args.note or "",
                       tsa_ca=_tsa_ca(), trusted=_trusted(args, config))
    print(f"{result.path}: handed over to {result.entry['to']} by {result.entry['who']} at "
          f"{result.entry['at']}; custody entries {result.entries}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    evidence = subparsers.add_parser(
        "evidence", help="evidence packets for referral (export, verify, handover)")
    sub = evidence.add_subparsers(dest="evidence_command", required=True, metavar="COMMAND")
    export = sub.add_parser(
        "export", help="build one WACZ evidence packet for a case",
        description="Build one signed, hash-listed WACZ packet holding the listings' "
                    "crawl-time WARC records, records, findings, custody log and cover sheet.")
    export.add_argument("ids", nargs="+", metavar="ID",
                        help="listing number (12 or listing:12) or site:DOMAIN")
    export.add_argument("--out", required=True, metavar="DIR", help="directory for the packet")
    export.add_argument("--case", metavar="NAME", help="case name (default: from date and IDs)")
    export.add_argument("--operator", metavar="NAME", help="who exports (default: login name)")
    export.set_defaults(func=cmd_export)
    verify = sub.add_parser("verify", help="check a packet's hashes, signatures, timestamp "
                                           "and custody chain")
    verify.add_argument("packet", metavar="PACKET")
    _fingerprint_option(verify)
    verify.set_defaults(func=cmd_verify)
    handover = sub.add_parser("handover", help="record a transfer of custody in a packet")
    handover.add_argument("packet", metavar="PACKET")
    handover.add_argument("--to", required=True, metavar="NAME", help="who receives it")
    handover.add_argument("--operator", metavar="NAME", help="who hands it over")
    handover.add_argument("--note", metavar="TEXT")
    _fingerprint_option(handover)
    handover.set_defaults(func=cmd_handover)


def _fingerprint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key-fingerprint", action="append", metavar="FP",
        help="SHA-256 fingerprint of the key the packet must be signed with (repeatable; "
             "default: CERTWATCH_EVIDENCE_KEY, else this installation's own key)")
