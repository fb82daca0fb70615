"""Evidence packets: seconds per packet for a 10-listing case.

    .venv/bin/python bench/evidence.py [--rounds 3] [--no-tsa]

Crawls the sandbox job board (zhipin, night 1) into a temporary CERTWATCH_HOME, then exports
the 10 highest-scoring listings as one packet, `--rounds` times: everything `certwatch
evidence export` does (store reads, records, Ed25519 signature, an RFC 3161 token from a
local `openssl ts` authority, the cover printed by Chromium, py-wacz validation), each a
fresh CLI process as a user runs it. The
baseline, run in the same process on the same WARC files, is py-wacz's own `wacz create`
(index + pages + datapackage, no evidence). Also shown: where the time goes (Chromium start
and one PDF, `wacz validate -f`) and `certwatch evidence verify`.

Then the capture half of the issue's benchmark, crawl pages/s with WARC capture on vs off,
runs as `bench/evidence_capture.py` in a child process (it installs Twisted's reactor, which
a process can do once); `--capture-rounds 0` skips it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CASE_SIZE = 10


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_packet(rounds: int = 3, tsa: bool = True) -> dict[str, float]:
    """Median seconds: export, the py-wacz baseline, and the parts; printed as a table."""
    work = Path(tempfile.mkdtemp(prefix="certwatch-bench-evidence-"))
    try:
        return _bench_packet(work, rounds, tsa)
    finally:  # the crawl, packets and WARCs are tens of MB: not left in the temp directory
        shutil.rmtree(work, ignore_errors=True)


def _bench_packet(work: Path, rounds: int, tsa: bool) -> dict[str, float]:
    os.environ["CERTWATCH_HOME"] = str(work / "home")
    os.environ.pop("CERTWATCH_DB_URL", None)
    subprocess.run([sys.executable, "-m", "certwatch.cli", "crawl", "--source", "zhipin",
                    "--night", "1", "--quiet"], cwd=REPO, check=True, capture_output=True)
    from certwatch.config import Config
    from certwatch.listings import ListingFilter, query
    from reports.evidence.cover import PdfPrinter
    from reports.evidence.packet import ExportOptions
    from reports.evidence.verify import verify_packet
    from store.db import open_store

    config = Config.from_env()
    engine = open_store(config.db_url)
    ids = [str(row["id"]) for row in query(engine, ListingFilter(by_score=True,
                                                                 limit=CASE_SIZE))]
    authority = None
    options = ExportOptions(out_dir=work / "out", case="bench", operator="bench")
    if tsa:
        from tests.tsa import LocalTSA

        authority = LocalTSA(work / "tsa")
        options = ExportOptions(out_dir=work / "out", case="bench", operator="bench",
                                tsa_url=authority.start(), tsa_ca=authority.ca_pem)
    try:
        # As a user runs it: a fresh `certwatch evidence export` process per packet (so no
        # import or browser is warm from the round before).
        env = {**os.environ}
        if options.tsa_url:
            env.update(CERTWATCH_TSA_URL=options.tsa_url, CERTWATCH_TSA_CA=str(options.tsa_ca))
        exports, packet = [], None
        for _ in range(rounds):
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "certwatch.cli", "evidence", "export", *ids, "--out",
                 str(options.out_dir), "--case", options.case, "--operator", "bench"],
                cwd=REPO, env=env, check=True, capture_output=True, text=True)
            exports.append(time.perf_counter() - start)
            packet = Path(proc.stdout.strip().splitlines()[-1])
        warcs = work / "warcs"
        with zipfile.ZipFile(packet) as zf:
            names = [n for n in zf.namelist() if n.startswith("archive/")]
            zf.extractall(warcs, names)
        files = [str(warcs / n) for n in names]
        baseline = [_timed(lambda: subprocess.run(
            [sys.executable, "-m", "wacz", "create", "-o", str(work / "bare.wacz"),
             "--detect-pages", *files], check=True, capture_output=True))
            for _ in range(rounds)]
        html = zipfile.ZipFile(packet).read("cover/cover.html")

        def chromium() -> None:
            with PdfPrinter() as printer:
                printer.pdf(html)

        pdf = [_timed(chromium) for _ in range(rounds)]
        validate = [_timed(lambda: subprocess.run(
            [sys.executable, "-m", "wacz", "validate", "-f", str(packet)], check=True,
            capture_output=True)) for _ in range(rounds)]
        verify = [_timed(lambda: verify_packet(packet, tsa_ca=authority.ca_pem.read_bytes()
                                               if authority else None))
                  for _ in range(rounds)]
    finally:
        if authority:
            authority.stop()
    result = {"export": statistics.median(exports), "baseline": statistics.median(baseline),
              "chromium_pdf": statistics.median(pdf), "validate": statistics.median(validate),
              "verify": statistics.median(verify),
              "packet_mb": packet.stat().st_size / 1e6}
    print(f"evidence packet, {len(ids)} listings, {rounds} rounds, medians"
          f"{' (with RFC 3161 token)' if tsa else ''}; packet {result['packet_mb']:.2f} MB")
    print(f"  certwatch evidence export   {result['export']:6.2f} s/packet (whole CLI process)")
    print(f"  py-wacz create (baseline)   {result['baseline']:6.2f} s   "
          f"ratio {result['export'] / result['baseline']:.1f}x")
    print(f"  parts, timed alone: Chromium + PDF  {result['chromium_pdf']:6.2f} s")
    print(f"  parts, timed alone: wacz validate -f {result['validate']:5.2f} s (CLI process)")
    print(f"  certwatch evidence verify   {result['verify']:6.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-tsa", action="store_true", help="export without a timestamp")
    parser.add_argument("--capture-rounds", type=int, default=9,
                        help="rounds of the WARC on/off crawl benchmark (0: skip it)")
    args = parser.parse_args()
    bench_packet(args.rounds, tsa=not args.no_tsa)
    if args.capture_rounds > 0:
        print("\ncrawl pages/s with WARC capture on vs off (bench/evidence_capture.py)")
        subprocess.run([sys.executable, str(REPO / "bench" / "evidence_capture.py"),
                        "--rounds", str(args.capture_rounds)], check=True)


if __name__ == "__main__":
    main()
