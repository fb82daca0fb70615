"""`certwatch`: the front door. A thin layer over the packages; each command is one function."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from certwatch import __version__
from certwatch.arguments import positive
from certwatch.config import Config
from certwatch.errors import UserError
from certwatch.sandbox_proc import SandboxError
from classifiers.errors import ClassifierError
from crawlers.errors import CrawlerError
from store.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path

    from classifiers.corpus import Example
    from classifiers.crossval import Assessment
    from classifiers.scoring import Classifier

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CLIError(UserError):
    """A user-facing failure: printed as one line, exit status 2."""


# Command groups that live in their own modules: each exposes `register(subparsers)`.
COMMAND_MODULES: tuple[str, ...] = (
    "certwatch.evidence_cli",
    "certwatch.hunt_cli",
    "certwatch.lookalike_cli",
    "certwatch.review_cli",
    "certwatch.nightly_cli",
)


def _err(message: str) -> None:
    print(f"certwatch: error: {message}", file=sys.stderr)


# -- commands ------------------------------------------------------------------------------
def cmd_sandbox_serve(args: argparse.Namespace, config: Config) -> int:
    from certwatch.sandbox_proc import READY_PREFIX
    from sandbox.server import SandboxServer
    from sandbox.truth import DEFAULT_SEED

    server = SandboxServer(seed=args.seed if args.seed is not None else DEFAULT_SEED,
                           night=args.night, host=args.host, port=args.port)
    server.start()
    # The first line is a contract: `embedded_sandbox` waits for it.
    print(f"{READY_PREFIX}{server.address}/", flush=True)
    print(f"night {args.night}; hosts (reach them with CERTWATCH_SANDBOX={server.address}):",
          file=sys.stderr)
    for host in server.hosts:
        print(f"  http://{host}/", file=sys.stderr)
    try:
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK


def _preflight(config: Config, sources: list) -> None:
    from crawlers.browser import find_chromium
    from store.db import open_store
    from store.recorder import sweep_stale_runs

    engine = open_store(config.db_url)
    swept = sweep_stale_runs(engine)
    if swept:
        print(f"marked {swept} run(s) left behind by a dead process as interrupted",
              file=sys.stderr)
    if any(s.browser for s in sources):
        find_chromium()


def crawl_sources(config: Config, names: Sequence[str], night: int | None,
                  progress: bool = True) -> tuple[str, int]:
    """Crawl and print the summary; returns (batch, exit status)."""
    from certwatch.crawl import run_crawl
    from certwatch.distributed import shared_batch
    from certwatch.sandbox_proc import sandbox_for
    from certwatch.summary import batch_rows, render
    from crawlers.sandbox_map import sandbox_host_map, uses_sandbox
    from crawlers.sources import select_sources
    from store.db import open_store

    sources = select_sources(names, user_dir=config.sources_dir)
    _preflight(config, sources)
    hosts = [h for s in sources for h in s.hosts]
    wants_sandbox = uses_sandbox(hosts)
    print(f"crawling {len(sources)} source(s): {', '.join(s.name for s in sources)}",
          file=sys.stderr)
    with sandbox_for(config if wants_sandbox else _no_sandbox(config), night) as address:
        host_map = sandbox_host_map(address) if address else None
        if address:
            print(f"sandbox web at {address} (night {night or 1})", file=sys.stderr)
        with shared_batch(config, [s.name for s in sources]) as shared:
            batch = run_crawl(config, sources, night=night, host_map=host_map,
                              loopback_only=bool(address),
                              progress_interval=2.0 if progress else 0, batch=shared)
    rows = batch_rows(open_store(config.db_url), batch)
    log = config.logs_dir / f"crawl-{batch}.log"
    print(render(rows))
    print(f"log: {log}")
    missing = sorted({s.name for s in sources} - {r.source for r in rows})
    if missing:
        _err(f"source(s) {', '.join(missing)} failed before crawling; see {log}")
    # In a shared crawl the other workers' runs may still be running: not a failure of ours.
    ok = not missing and all(r.status == "finished" or (config.redis_url and r.status == "running")
                             for r in rows)
    return batch, EXIT_OK if ok else EXIT_FAILED


def _no_sandbox(config: Config) -> Config:
    from dataclasses import replace

    return replace(config, sandbox="off")


def cmd_crawl(args: argparse.Namespace, config: Config) -> int:
    _batch, status = crawl_sources(config, args.source or [], args.night,
                                   progress=not args.quiet)
    return status


def cmd_listings(args: argparse.Namespace, config: Config) -> int:
    from certwatch.listings import ListingFilter, as_jsonl, as_table_line, query
    from store.db import open_store

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise CLIError(
                f"--since: expected a date like 2026-11-20, got {args.since!r}") from None
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    removed = True if args.removed else (False if args.live else None)
    flt = ListingFilter(sources=tuple(args.source or ()), search=args.search, removed=removed,
                        since=since, limit=args.limit, labels=tuple(args.label or ()),
                        min_score=args.min_score, by_score=args.sort == "score")
    engine = open_store(config.db_url)
    count = 0
    for row in query(engine, flt):
        print(as_jsonl(row) if args.format == "jsonl" else as_table_line(row))
        count += 1
    if args.format == "table":
        print(f"{count} listing(s)", file=sys.stderr)
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    from store.db import make_engine, redact, upgrade

    upgrade(make_engine(config.db_url), args.revision)
    print(f"database {redact(config.db_url)} is at {args.revision}")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, config: Config) -> int:
    from crawlers.sources import load_sources

    for source in load_sources(config.sources_dir).values():
        flags = ", ".join(f for f, on in (("browser", source.browser),
                                          ("disabled", not source.enabled)) if on)
        print(f"{source.name:<10} {source.platform:<12} {source.title}"
              + (f"  [{flags}]" if flags else "") + f"  ({source.path})")
    return EXIT_OK


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    from certwatch.classify_stream import classify_lines

    classifier = _load_classifier("classify")
    # Bytes both ways: each line is decoded on its own, and the output is strict UTF-8
    # whatever the locale says.
    if args.file in (None, "-"):
        bad = classify_lines(sys.stdin.buffer, sys.stdout.buffer, classifier)
    else:
        try:
            with open(args.file, "rb") as fh:
                bad = classify_lines(fh, sys.stdout.buffer, classifier)
        except OSError as exc:
            raise CLIError(f"cannot read {args.file}: {exc.strerror}") from None
    if bad:
        _err(f"{bad} line(s) not scored; each got an error line naming its line number")
    return EXIT_USAGE if bad else EXIT_OK


def _load_classifier(command: str) -> Classifier:
    """The installed model, or a one-line configuration error (exit 2) before any input is
    read: nothing on stdout tells a consumer it was not its input that was bad."""
    from classifiers.errors import ModelUnavailable
    from classifiers.scoring import Classifier

    try:
        return Classifier.load()
    except ModelUnavailable as exc:
        raise CLIError(f"{command}: no usable classifier model, nothing was scored: "
                       f"{exc}") from None


def cmd_train(args: argparse.Namespace, config: Config) -> int:
    from classifiers.evaluate import render
    from classifiers.reviews import reviewed_examples
    from classifiers.train import train

    if args.if_stale and not args.cv:
        from classifiers.errors import ModelUnavailable
        from classifiers.scoring import Classifier

        try:
            print(f"model {Classifier.load().version} is current; not retraining")
            return EXIT_OK
        except ModelUnavailable as exc:
            print(f"training: {exc}", file=sys.stderr)
    reviews, before = [], None
    if args.with_reviews:
        from classifiers.review_learning import measure_installed
        from store.db import open_store

        reviews = reviewed_examples(open_store(config.db_url))
        print(f"with {len(reviews)} analyst-reviewed listing(s)", file=sys.stderr)
        before = None if args.cv else measure_installed(reviews)

    def progress(message: str) -> None:
        print(f"training: {message}", file=sys.stderr, flush=True)

    if args.cv:
        return _train_cv(reviews, progress)
    result = train(reviews=reviews, progress=progress)
    counts = result.counts["corpus"]
    print(f"corpus: {counts['total']} examples {counts['by_label']}; "
          f"train {result.counts['train']} (+augmentation → "
          f"{result.counts['fitted_with_augmentation']}), held out {result.counts['heldout']}")
    print(_cv_summary(result.cv))
    print("held-out evaluation:")
    print(render(result.heldout))
    if before is not None:
        from classifiers.review_learning import measure_new, render_before_after

        print("before and after learning from the analysts' decisions:")
        print(render_before_after(before, measure_new(result.heldout, reviews), len(reviews)))
    print(f"model {result.version} saved in {result.directory}")
    return EXIT_OK


def _cv_summary(cv: Assessment) -> str:
    """Cross-validation figures of a training, and whether FRAUD_THRESHOLD still fits them."""
    from classifiers.crossval import FOLDS
    from classifiers.model import FRAUD_THRESHOLD

    s = cv.settings
    lines = [f"{FOLDS}-fold CV on the training split: calibration ECE "
             + ", ".join(f"{m} {e:.3f}" for m, e in cv.ece.items())
             + f" (model uses {s.calibration})"]
    at = cv.at(FRAUD_THRESHOLD)
    if at is not None:
        lines.append(f"at FRAUD_THRESHOLD {FRAUD_THRESHOLD:.2f}: macro-F1 {at.macro_f1:.3f}, "
                     f"obfuscated recall {at.obfuscated_recall:.3f}, "
                     f"hard-benign false positives {at.hard_benign_fpr:.3f}")
    if abs(cv.recommended.threshold - FRAUD_THRESHOLD) > 1e-9:
        lines.append(f"note: CV now recommends threshold {cv.recommended.threshold:.2f}; "
                     "run `certwatch train --cv` and update classifiers/model.py")
    if cv.best_calibration != s.calibration:
        lines.append(f"note: CV now finds {cv.best_calibration} calibration better; "
                     "run `certwatch train --cv` and update classifiers/model.py")
    return "\n".join(lines)


def _train_cv(reviews: Sequence[Example], progress: Callable[[str], None]) -> int:
    """`certwatch train --cv`: the settings study; the installed model is left alone."""
    from classifiers.corpus import load_corpus, split
    from classifiers.crossval import render_study, study

    train_side, _heldout = split(load_corpus())
    print(render_study(study([*train_side, *reviews], progress=progress)))
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace, config: Config) -> int:
    import json
    from pathlib import Path

    from classifiers.evaluate import evaluate, render

    path = Path(args.file)
    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    examples = _labelled_examples(path)  # before loading the model: a bad file fails fast
    report = evaluate(_load_classifier("evaluate"), examples)
    print(json.dumps(report.as_dict(), ensure_ascii=False) if args.json else render(report))
    return EXIT_OK


def _labelled_examples(path: Path) -> list[Example]:
    """The file's examples; a line that is not UTF-8 is also an error naming file:line
    (a text-mode read would fail with a traceback naming neither)."""
    from classifiers.corpus import parse_example

    examples = []
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                where = f"{path}:{number}"
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise CLIError(f"{where}: not valid UTF-8 (byte {exc.start + 1})") from None
                if line.strip():
                    examples.append(parse_example(line, where))
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc.strerror}") from None
    if not examples:
        raise CLIError(f"{path}: no labelled examples (JSON Lines of id, label, text)")
    return examples


def cmd_sandbox_truth(args: argparse.Namespace, config: Config) -> int:
    import json

    from sandbox.truth import DEFAULT_SEED, labelled

    for row in labelled(args.seed if args.seed is not None else DEFAULT_SEED, args.night):
        print(json.dumps(row, ensure_ascii=False))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from certwatch.demo import run_demo

    return run_demo(config, serve=not args.no_serve)


# -- parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="certwatch",
        description="Find and keep evidence of certificate-renting (挂证), forged certificates "
                    "and exam-fraud ads.")
    parser.add_argument("--version", action="version", version=f"certwatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    sandbox = sub.add_parser("sandbox", help="the local sandbox web")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True, metavar="COMMAND")
    serve = sandbox_sub.add_parser("serve", help="serve the sandbox web on loopback")
    serve.set_defaults(func=cmd_sandbox_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8800, help="0 picks a free port")
    serve.add_argument("--night", type=positive, default=1)
    serve.add_argument("--seed", type=int, default=None)
    truth = sandbox_sub.add_parser(
        "truth", help="print the sandbox's ground truth as labelled JSONL (for evaluate)")
    truth.set_defaults(func=cmd_sandbox_truth)
    truth.add_argument("--night", type=positive, default=1)
    truth.add_argument("--seed", type=int, default=None)

    crawl = add("crawl", cmd_crawl, "crawl sources into the store")
    crawl.add_argument("--source", action="append", metavar="NAME",
                       help="source to crawl (repeatable; default: every enabled source)")
    crawl.add_argument("--night", type=positive, default=None,
                       help="sandbox night to crawl (the sandbox web changes between nights)")
    crawl.add_argument("--quiet", action="store_true", help="no progress lines")

    listings = add("listings", cmd_listings, "print stored listings")
    listings.add_argument("--format", choices=("table", "jsonl"), default="table")
    listings.add_argument("--source", action="append", metavar="NAME")
    listings.add_argument("--search", metavar="TEXT", help="substring of title or text")
    state = listings.add_mutually_exclusive_group()
    state.add_argument("--removed", action="store_true", help="only removed listings")
    state.add_argument("--live", action="store_true", help="only listings still online")
    listings.add_argument("--since", metavar="DATE", help="last seen on or after DATE")
    listings.add_argument("--limit", type=positive, default=None)
    listings.add_argument("--label", action="append",
                          choices=("guazheng", "fake_cert", "exam_fraud", "benign"))
    listings.add_argument("--min-score", type=float, default=None, metavar="S",
                          help="only listings with risk score ≥ S (0–1)")
    listings.add_argument("--sort", choices=("id", "score"), default="id")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    up = db_sub.add_parser("upgrade", help="apply schema migrations")
    up.add_argument("revision", nargs="?", default="heads")
    up.set_defaults(func=cmd_db_upgrade)

    add("sources", cmd_sources, "list the configured sources (and validate them)")

    classify = add("classify", cmd_classify,
                   "score JSON Lines {id, text[, title]} from FILE or stdin")
    classify.add_argument("file", nargs="?", metavar="FILE")
    train = add("train", cmd_train, "train the classifier on the bundled corpus")
    train.add_argument("--with-reviews", action="store_true",
                       help="also learn from analysts' decisions stored in the database")
    train.add_argument("--if-stale", action="store_true",
                       help="do nothing when the installed model matches code and corpus")
    train.add_argument("--cv", action="store_true",
                       help="only cross-validate the settings grid on the training split and "
                            "print the recommended threshold, C, weight and calibration")
    evaluate = add("evaluate", cmd_evaluate,
                   "measure the classifier on labelled JSONL {id, text, label, …}")
    evaluate.add_argument("file", metavar="FILE")
    evaluate.add_argument("--json", action="store_true", help="machine-readable report")

    demo = add("demo", cmd_demo, "crawl the sandbox web for two nights and show the results")
    demo.add_argument("--no-serve", action="store_true",
                      help="exit after the summary instead of serving the sandbox for browsing")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser




def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = Config.from_env()
    try:
        return args.func(args, config)
    except (UserError, StoreError, CrawlerError, SandboxError, ClassifierError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:
        # `certwatch listings | head`: the reader left; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
