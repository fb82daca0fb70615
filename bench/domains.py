"""Lookalike name scoring speed: domains/s on one core, offline, against bare tldextract.

    .venv/bin/python bench/domains.py [--domains 200000] [--repeat 3]

The feed is a deterministic synthetic day of new registrations and certificate names:
English and pinyin word compounds, brand-like strings, digits, hyphens, random strings,
CT-style subdomains (www., mail., api. …) over common suffixes, about 1% lookalikes from the
fuzzers and the labelled list, and some internationalised names. Every name is unique;
labels that recur (www, mail, a word on several suffixes) hit the analyser's per-label memo
as they would in a real feed. The baseline, run in the same process on the same names, is
the bare tldextract parse with the same bundled suffix list.
Target: ≥ 20,000 domains/s on one core (a 200k-domain feed in ≤ 10 s).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.lookalike import psl  # noqa: E402
from classifiers.lookalike.errors import InvalidDomain  # noqa: E402
from classifiers.lookalike.fuzzers import permutations  # noqa: E402
from classifiers.lookalike.names import analyze_domain  # noqa: E402
from classifiers.lookalike.watchlist import load_watchlist  # noqa: E402

_WORDS = ("shop best cloud home tech smart data china global star green blue gold life love "
         "music game news travel food coffee tea wine baby kids pet auto car house mall store "
         "online digital media design studio lab group trade king dragon lucky happy sun moon "
         "city world net web app pay link hub box one top new fast easy go my mobile health "
         "edu school learn job work career build steel power energy solar water")
_PINYIN = ("zhong guo jia hua xin tian di ren min an kang fu shun da xing long feng cheng "
          "jin yin bao li hong wei ming yuan tong kai tai he mei hao le ai shang hai bei "
          "jing nan dong xi guang shen zhen hang zhou su wu han chang sha qing dao yun")
WORDS, PINYIN = tuple(_WORDS.split()), tuple(_PINYIN.split())
SUFFIXES = ("com",) * 12 + ("cn",) * 6 + ("net", "net", "top", "top", "xyz", "com.cn", "com.cn",
            "org", "info", "shop", "vip", "site", "online", "store", "cc", "io", "co.uk", "de",
            "ru", "jp", "com.br", "in", "fr", "app", "dev", "club", "icu", "ltd", "wang")
SUBS = ("www", "mail", "api", "m", "cdn", "shop", "admin", "portal", "dev", "static")
IDN = ("中国", "北京", "商城", "科技", "网络", "咖啡", "旅游", "健康", "ｍｕｓｉｃ", "münchen",
       "café", "пример", "магазин")


def synthetic_feed(count: int, seed: int = 20261206) -> tuple[list[str], dict[str, int]]:
    rng = random.Random(seed)
    watchlist = load_watchlist()
    lookalikes = [d for d, _, _ in permutations(watchlist)]
    rng.shuffle(lookalikes)
    labelled = Path(__file__).resolve().parent.parent / "classifiers/data/domains_labelled.tsv"
    listed = [line.split("\t")[0] for line in labelled.read_text("utf-8").splitlines()
              if line and not line.startswith("#")]
    names: set[str] = set()
    kinds = {"words": 0, "pinyin": 0, "random": 0, "idn": 0, "lookalike": 0, "labelled": 0}
    out: list[str] = []

    def put(name: str, kind: str) -> None:
        if name not in names:
            names.add(name)
            out.append(name)
            kinds[kind] += 1

    for name in listed:
        put(name, "labelled")
    for name in lookalikes[: count // 100]:
        put(name, "lookalike")
    while len(out) < count:
        roll = rng.random()
        if roll < 0.45:
            label = "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
            kind = "words"
        elif roll < 0.75:
            label = "".join(rng.choice(PINYIN) for _ in range(rng.randint(2, 4)))
            kind = "pinyin"
        elif roll < 0.97:
            alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
            label = "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 16)))
            kind = "random"
        else:
            label = rng.choice(IDN) + rng.choice(("", str(rng.randint(1, 99))))
            kind = "idn"
        if rng.random() < 0.25:
            label += str(rng.randint(1, 9999))
        if rng.random() < 0.15 and kind != "idn":
            cut = rng.randint(1, max(1, len(label) - 1))
            label = label[:cut] + "-" + label[cut:]
        name = f"{label.strip('-')}.{rng.choice(SUFFIXES)}"
        if rng.random() < 0.3:
            name = f"{rng.choice(SUBS)}.{name}"
        put(name, kind)
    rng.shuffle(out)
    return out, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    feed, kinds = synthetic_feed(args.domains)
    watchlist = load_watchlist()
    extractor = psl.extractor()
    analyze_domain("warm.example.com", watchlist)  # build the index outside the timing

    def bare() -> int:
        for name in feed:
            extractor.extract_str(name)
        return 0

    def full() -> tuple[int, int]:
        flagged = invalid = 0
        for name in feed:
            try:
                flagged += analyze_domain(name, watchlist).label == "lookalike"
            except InvalidDomain:  # a feed can hold public suffixes (网络.cn) too
                invalid += 1
        return flagged, invalid

    # Wall time and this process's CPU time: on a machine shared with other jobs the CPU
    # rate is what one core of our own does; the wall rate is what the user waited.
    rates: dict[str, list[float]] = {"bare wall": [], "bare cpu": [], "full wall": [],
                                     "full cpu": []}
    flagged = invalid = 0
    for _ in range(args.repeat):  # alternate, so load on the machine hits both alike
        wall, cpu = time.perf_counter(), time.process_time()
        bare()
        rates["bare wall"].append(len(feed) / (time.perf_counter() - wall))
        rates["bare cpu"].append(len(feed) / (time.process_time() - cpu))
        wall, cpu = time.perf_counter(), time.process_time()
        flagged, invalid = full()
        rates["full wall"].append(len(feed) / (time.perf_counter() - wall))
        rates["full cpu"].append(len(feed) / (time.process_time() - cpu))
    median = {key: statistics.median(values) for key, values in rates.items()}
    mix = ", ".join(f"{k} {v}" for k, v in kinds.items())
    print(f"feed: {len(feed)} unique names ({mix}); one core, offline, {args.repeat} rounds")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians:")
    print(f"{'':32} {'wall':>14} {'cpu':>14}")
    print(f"{'baseline bare tldextract parse':32} {median['bare wall']:10.0f} d/s "
          f"{median['bare cpu']:10.0f} d/s")
    print(f"{'certwatch analyze_domain':32} {median['full wall']:10.0f} d/s "
          f"{median['full cpu']:10.0f} d/s  (target ≥ 20000)")
    print(f"ratio analyze/tldextract = {median['full wall'] / median['bare wall']:.2f} (wall), "
          f"{median['full cpu'] / median['bare cpu']:.2f} (cpu)")
    print(f"{len(feed)} names scored in {len(feed) / median['full wall']:.1f} s wall "
          f"({len(feed) / median['full cpu']:.1f} s cpu); {flagged} lookalike(s), "
          f"{invalid} invalid")


if __name__ == "__main__":
    main()
