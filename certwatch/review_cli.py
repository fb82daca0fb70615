"""`certwatch review serve`, `certwatch users add`, `certwatch audit verify`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from certwatch.config import Config
from review.errors import AuditBroken, BadUserInput

EXIT_OK = 0


def serve_ui(config: Config, host: str, port: int, *, demo: bool = False,
             banner: str = "") -> None:
    """Run the review UI until Ctrl-C (the demo calls this too)."""
    import uvicorn

    from review.app import create_app
    from review.settings import ReviewSettings
    from store.db import open_store

    settings = ReviewSettings.from_env(demo=demo)
    app = create_app(open_store(config.db_url), settings, home=config.home)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           proxy_headers=False))
    print(f"review UI: http://{host}:{port}/  (Ctrl-C to stop){banner}", flush=True)
    server.run()


def cmd_review_serve(args: argparse.Namespace, config: Config) -> int:
    serve_ui(config, args.host, args.port)
    return EXIT_OK


def read_password(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    password = env.get("CERTWATCH_PASSWORD")
    if password:
        return password
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise BadUserInput("the two passwords differ")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise BadUserInput("no password: pipe it on stdin or set CERTWATCH_PASSWORD")
    return line


def cmd_users_add(args: argparse.Namespace, config: Config) -> int:
    from review.users import add_user
    from store.db import open_store

    add_user(open_store(config.db_url), args.name, args.role, read_password())
    print(f"user {args.name} added ({args.role})")
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace, config: Config) -> int:
    from review.audit import verify
    from store.db import open_store

    result = verify(open_store(config.db_url))
    if not result.ok:
        raise AuditBroken(f"audit log broken at entry {result.broken_at} after "
                          f"{result.entries} good entries: {result.reason}")
    print(f"audit log verified: {result.entries} entries, hash chain intact")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    review = sub.add_parser("review", help="the analysts' review web UI")
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="COMMAND")
    serve = review_sub.add_parser("serve", help="serve the review UI (needs CERTWATCH_SECRET)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_review_serve)

    users = sub.add_parser("users", help="review UI accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    add = users_sub.add_parser(
        "add", help="add a user; password from stdin or CERTWATCH_PASSWORD")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("analyst", "supervisor", "admin"))
    add.set_defaults(func=cmd_users_add)

    audit = sub.add_parser("audit", help="the review audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = audit_sub.add_parser("verify", help="check the audit log's hash chain")
    verify.set_defaults(func=cmd_audit_verify)
