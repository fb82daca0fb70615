"""`certwatch nightly` and `certwatch schedule`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from certwatch.arguments import positive
from certwatch.config import Config
from certwatch.errors import UserError


def cmd_nightly(args: argparse.Namespace, config: Config) -> int:
    from certwatch.nightly import EXIT_BUSY, run_nightly
    from certwatch.nightly_config import load_nightly_settings
    from certwatch.nightly_lock import NightlyBusy

    settings = load_nightly_settings(config)
    scheduled = _when(args.scheduled_for) if args.scheduled_for else None
    try:
        result = run_nightly(config, settings, scheduled_for=scheduled,
                             trigger="schedule" if scheduled else "manual",
                             sources=tuple(args.source or ()), night=args.night)
    except NightlyBusy as exc:
        print(f"certwatch: {exc}", file=sys.stderr)
        return EXIT_BUSY
    return result.exit_code


def cmd_schedule(args: argparse.Namespace, config: Config) -> int:
    from certwatch.schedule import run_schedule

    return run_schedule(config, max_runs=args.max_runs, catch_up=not args.no_catch_up)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--scheduled-for: expected an ISO time, got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(sub: argparse._SubParsersAction) -> None:
    nightly = sub.add_parser(
        "nightly", help="crawl, hunt, diff against the previous night, write and send the digest",
        description="One nightly run; settings from CERTWATCH_HOME/certwatch.yaml (README).")
    nightly.set_defaults(func=cmd_nightly)
    nightly.add_argument("--source", action="append", metavar="NAME",
                         help="crawl only this source (repeatable; default: config, else all)")
    nightly.add_argument("--night", type=positive, default=None,
                         help="sandbox night to crawl (default: config `night`)")
    nightly.add_argument("--scheduled-for", metavar="TIME", help=argparse.SUPPRESS)

    schedule = sub.add_parser(
        "schedule", help="run the nightly on the cron expression from the config, for ever",
        description="Run `certwatch nightly` at every slot of `schedule` in certwatch.yaml.")
    schedule.set_defaults(func=cmd_schedule)
    schedule.add_argument("--max-runs", type=positive, default=None, metavar="N",
                          help="stop after N nightly runs (default: never)")
    schedule.add_argument("--no-catch-up", action="store_true",
                          help="do not run a slot missed during downtime at start-up "
                               "(it is still reported by the next nightly)")
