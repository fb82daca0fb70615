"""Page-check speed: sites per minute for the lookalike page check, against a bare visit.

    .venv/bin/python bench/pages.py [--rounds 3]

Sites: the sandbox's query portals (official replica, five lookalikes, two honest sites), one
Chromium for the whole run. Baseline, in the same browser and run: open the landing page in a
fresh context and read its DOM (what any crawler pays). Full check: `pages.visit` (landing
and query page captured with screenshots, DOM, text, forms, images and hashes; the canary
probe with its exchange kept) plus `pages.signals` against the official fingerprint.
Rounds alternate baseline and full check; the ratio is the median of per-round ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.lookalike import pages  # noqa: E402
from classifiers.lookalike.capture import BrowserSession  # noqa: E402
from classifiers.lookalike.resolve import StaticResolver  # noqa: E402
from crawlers.sandbox_map import sandbox_host_map  # noqa: E402
from sandbox.hosts import LOOKALIKES, OFFICIAL_SITES, OTHER_PORTALS  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

SITES = (OFFICIAL_SITES["zlaq"], *LOOKALIKES.values(), *OTHER_PORTALS.values())


def baseline(session: BrowserSession) -> float:
    started = time.perf_counter()
    for site in SITES:
        with session.page() as watch:
            watch.page.goto(f"http://{site}/", wait_until="load")
            watch.page.content()
    return time.perf_counter() - started


def full(session: BrowserSession, fingerprints: dict, root: Path, n: int) -> float:
    started = time.perf_counter()
    for site in SITES:
        visit = pages.visit(session, site, root / f"{n}-{site}")
        pages.signals(visit, fingerprints)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with SandboxServer() as server, tempfile.TemporaryDirectory() as tmp:
        resolver = StaticResolver(sandbox_host_map(server.address))
        with BrowserSession(resolver.host_map()) as session:
            official = pages.visit(session, OFFICIAL_SITES["zlaq"], Path(tmp) / "fp", probe=False)
            fingerprints = {official.domain: pages.fingerprint_visit(official)}
            baseline(session)  # warm-up: first contexts and fonts are slow
            bases, fulls = [], []
            for n in range(args.rounds):
                bases.append(baseline(session))
                fulls.append(full(session, fingerprints, Path(tmp), n))
    ratios = [f / b for f, b in zip(fulls, bases, strict=True)]
    per_min = 60 * len(SITES) / statistics.median(fulls)
    base_per_min = 60 * len(SITES) / statistics.median(bases)
    print(f"sites per round: {len(SITES)}; rounds: {args.rounds}")
    print(f"baseline (open + DOM):          {base_per_min:7.1f} sites/min")
    print(f"full check (capture + canary):  {per_min:7.1f} sites/min")
    print(f"full check costs {statistics.median(ratios):.1f}x a bare visit "
          f"(per-round ratios {', '.join(f'{r:.1f}' for r in ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
