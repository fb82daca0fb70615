"""Permutations of official names, one generator per algorithm, picked by name (dnstwist's design).

Character fuzzers (addition … vowel-swap) mutate the brand labels of the watchlist (host labels
of 6+ characters such as `mohurd`, `chinasafety`, the length the analysis matches by edit
distance) and place them on the first suffixes of
`swap_suffixes`: a mutated name under gov.cn could not be registered by a fraudster, so
permutations keep to suffixes anyone can buy. Composition fuzzers (tld-swap, gov-subdomain,
gov-dash, query-word, pinyin, initialism, region-department) work per site. Every generator
yields ASCII (punycode) domain names; duplicates are removed by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from classifiers.lookalike import psl
from classifiers.lookalike.errors import LookalikeError
from classifiers.lookalike.homoglyphs import load as load_homoglyphs
from classifiers.lookalike.index import GOV_SUFFIXES, MIN_NEAR, index_for
from classifiers.lookalike.watchlist import Site, Watchlist

VOWELS = "aeiou"
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PLACES = 2  # character permutations go on this many swap suffixes (com, cn)
QUERY_FORMS = ("cx", "chaxun", "zscx")


@dataclass(frozen=True)
class Target:
    """One site as the fuzzers see it."""

    site: Site
    core: str  # the name a lookalike reuses: "mohurd", "zjt-hubei"
    brands: tuple[str, ...]  # labels worth mutating character by character
    official: str  # host without www: "zlaq.mohurd.gov.cn"
    suffixes: tuple[str, ...]
    keyboard: dict[str, str]
    queries: tuple[str, ...]
    region_spellings: tuple[str, ...]


Fuzzer = Callable[[Target], Iterator[str]]
FUZZERS: dict[str, Fuzzer] = {}


def fuzzer(name: str) -> Callable[[Fuzzer], Fuzzer]:
    def register(func: Fuzzer) -> Fuzzer:
        FUZZERS[name] = func
        return func
    return register


class UnknownFuzzer(LookalikeError):
    """A fuzzer name that is not registered."""


def permutations(watchlist: Watchlist, names: Sequence[str] | None = None,
                 ) -> Iterator[tuple[str, str, str]]:
    """(domain, fuzzer name, imitated host) for every site and every chosen fuzzer."""
    chosen = list(FUZZERS) if names is None else list(names)
    unknown = [n for n in chosen if n not in FUZZERS]
    if unknown:
        raise UnknownFuzzer(f"unknown fuzzer(s) {', '.join(unknown)}; "
                            f"choose from {', '.join(FUZZERS)}")
    official = index_for(watchlist).official_tails
    seen_brands: set[str] = set()
    for target in targets(watchlist):
        # Sites sharing a brand (zlaq/jzsc/www.mohurd) mutate it once, for the first site.
        fresh = tuple(b for b in target.brands if b not in seen_brands)
        seen_brands.update(fresh)
        target = Target(target.site, target.core, fresh, target.official, target.suffixes,
                        target.keyboard, target.queries, target.region_spellings)
        for name in chosen:
            for domain in FUZZERS[name](target):
                if not ("." + domain).endswith(official):
                    yield domain, name, target.site.host


def targets(watchlist: Watchlist) -> Iterator[Target]:
    vocab = watchlist.vocabulary
    keyboard = _neighbours(vocab.keyboard)
    suffixes = tuple(_ascii_suffix(s) for s in vocab.swap_suffixes) or ("com", "cn")
    generic = set(vocab.generic_labels)
    region_of = {s: r for r, spellings in vocab.regions.items() for s in spellings}
    queries = tuple(q for q in QUERY_FORMS if q in vocab.query_words) or QUERY_FORMS
    for site in watchlist.sites:
        parts = psl.split(site.host)
        labels = [x for x in parts.subdomain.split(".") if x and x not in generic]
        if parts.domain in region_of:
            # js.shaanxi: "js" is also Jiangsu's abbreviation; use the site's own initials.
            own = [x for x in labels if x not in region_of] or list(site.tokens[:1])
            core = "-".join(own + [parts.domain])
        else:
            core = parts.domain
        if core in generic:  # www.gov.cn: nothing but the whole host to reuse
            core = ""
        brands = tuple(x for x in [*labels, parts.domain]
                       if len(x) >= MIN_NEAR and x not in region_of and x not in generic)
        spellings = vocab.regions.get(site.region, ()) if site.region else ()
        yield Target(site, core, brands, site.host.removeprefix("www."), suffixes, keyboard,
                     queries, spellings)


def _ascii_suffix(suffix: str) -> str:
    return ".".join(x if x.isascii() else "xn--" + x.encode("punycode").decode()
                    for x in suffix.split("."))


def _neighbours(rows: Sequence[str]) -> dict[str, str]:
    found: dict[str, set[str]] = {}
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            near = found.setdefault(char, set())
            for dr in (-1, 0, 1):
                if 0 <= r + dr < len(rows):
                    other = rows[r + dr]
                    near.update(other[max(0, c - 1):c + 2])
            near.discard(char)
    return {k: "".join(sorted(v)) for k, v in found.items()}


def _composed(func: Fuzzer) -> Fuzzer:
    def run(target: Target) -> Iterator[str]:
        return func(target) if target.core else iter(())
    run.__doc__ = func.__doc__
    return run


def _place(target: Target, labels: Iterator[str]) -> Iterator[str]:
    for label in labels:
        label = label.strip("-")
        if not label or label in target.brands or ".." in label:
            continue
        if not label.isascii():
            label = "xn--" + label.encode("punycode").decode("ascii")
        if len(label) > 63:
            continue
        for suffix in target.suffixes[:PLACES]:
            yield f"{label}.{suffix}"


# -- character fuzzers on brand labels -----------------------------------------------------
def _per_brand(func: Callable[[str, Target], Iterator[str]]) -> Fuzzer:
    def run(target: Target) -> Iterator[str]:
        for brand in target.brands:
            yield from _place(target, func(brand, target))
    run.__doc__ = func.__doc__
    return run


@fuzzer("addition")
@_per_brand
def addition(label: str, target: Target) -> Iterator[str]:
    """mohurd → mohurda, mohurd1"""
    for char in ALPHABET:
        yield label + char


@fuzzer("bitsquatting")
@_per_brand
def bitsquatting(label: str, target: Target) -> Iterator[str]:
    """one flipped bit: mohurd → mohurl"""
    valid = set(ALPHABET + "-")
    for i, char in enumerate(label):
        for bit in range(8):
            flipped = chr(ord(char) ^ (1 << bit)).lower()
            if flipped in valid and flipped != char:
                yield label[:i] + flipped + label[i + 1:]


@fuzzer("homoglyph")
@_per_brand
def homoglyph(label: str, target: Target) -> Iterator[str]:
    """lookalike characters: mohurd → m0hurd, rnohurd, mоhurd (Cyrillic о)"""
    table = load_homoglyphs()
    for i, char in enumerate(label):
        for glyph in table.lookalikes(char):
            yield label[:i] + glyph + label[i + 1:]


@fuzzer("hyphenation")
@_per_brand
def hyphenation(label: str, target: Target) -> Iterator[str]:
    """mohurd → mo-hurd"""
    for i in range(1, len(label)):
        yield label[:i] + "-" + label[i:]


@fuzzer("insertion")
@_per_brand
def insertion(label: str, target: Target) -> Iterator[str]:
    """a neighbouring key typed too: mohurd → mojhurd"""
    for i, char in enumerate(label):
        for near in target.keyboard.get(char, ""):
            yield label[:i] + near + label[i:]
            yield label[:i + 1] + near + label[i + 1:]


@fuzzer("omission")
@_per_brand
def omission(label: str, target: Target) -> Iterator[str]:
    """mohurd → mhurd"""
    for i in range(len(label)):
        yield label[:i] + label[i + 1:]


@fuzzer("repetition")
@_per_brand
def repetition(label: str, target: Target) -> Iterator[str]:
    """mohurd → mohhurd"""
    for i, char in enumerate(label):
        if char.isalnum():
            yield label[:i] + char + label[i:]


@fuzzer("replacement")
@_per_brand
def replacement(label: str, target: Target) -> Iterator[str]:
    """a neighbouring key instead: mohurd → mohyrd"""
    for i, char in enumerate(label):
        for near in target.keyboard.get(char, ""):
            yield label[:i] + near + label[i + 1:]


@fuzzer("transposition")
@_per_brand
def transposition(label: str, target: Target) -> Iterator[str]:
    """mohurd → mohrud"""
    for i in range(len(label) - 1):
        if label[i] != label[i + 1]:
            yield label[:i] + label[i + 1] + label[i] + label[i + 2:]


@fuzzer("vowel-swap")
@_per_brand
def vowel_swap(label: str, target: Target) -> Iterator[str]:
    """mohurd → mohard"""
    for i, char in enumerate(label):
        if char in VOWELS:
            for vowel in VOWELS:
                if vowel != char:
                    yield label[:i] + vowel + label[i + 1:]


# -- composition fuzzers per site ----------------------------------------------------------
@fuzzer("tld-swap")
@_composed
def tld_swap(target: Target) -> Iterator[str]:
    """the official name on a suffix anyone can buy: mohurd.com, zjt-hubei.cn"""
    for suffix in target.suffixes:
        if f"{target.core}.{suffix}" == target.official:
            continue
        yield f"{target.core}.{suffix}"
        if target.official.count(".") > 2 and target.core in target.official:
            head = target.official.split(f".{target.core}.", 1)[0]
            if head != target.official:
                yield f"{head}.{target.core}.{suffix}"


@fuzzer("gov-subdomain")
def gov_subdomain(target: Target) -> Iterator[str]:
    """gov.cn used as a subdomain: zlaq.mohurd.gov.cn.com, zlaq.mohurd.gov.cn.cx-query.top"""
    for suffix in target.suffixes[:6]:
        yield f"{target.official}.{suffix}"
    if target.core:
        yield f"{target.official}.{target.queries[0]}-{target.core.split('-')[0]}.com"
    yield f"www.{target.official}.net.cn"


@fuzzer("gov-dash")
@_composed
def gov_dash(target: Target) -> Iterator[str]:
    """gov-cn tricks: mohurd-gov.cn, mohurdgov.cn, mohurd-gov-cn.com, mohurd.gov-cn.com"""
    core = target.core
    yield f"{core}-gov.cn"
    yield f"{core.replace('-', '')}gov.cn"
    yield f"{core}-gov-cn.com"
    yield f"{core}.gov-cn.com"
    yield f"{core}govcn.com"
    yield f"gov-cn-{core}.com"


@fuzzer("query-word")
@_composed
def query_word(target: Target) -> Iterator[str]:
    """query words around the name: mohurdcx.com, cx-mohurd.cn, mohurd-chaxun.com"""
    for word in target.queries:
        for suffix in target.suffixes[:PLACES]:
            yield f"{target.core}{word}.{suffix}"
            yield f"{target.core}-{word}.{suffix}"
            yield f"{word}-{target.core}.{suffix}"


@fuzzer("pinyin")
def pinyin(target: Target) -> Iterator[str]:
    """pinyin of the Chinese name and the site's pinyin brands: zhujianbu.com, tezhongzuoyecx.cn"""
    words = [b for b in target.site.brands if len(b) >= 6 and not b.isdigit()]
    if target.site.pinyin:
        words.append(target.site.pinyin.replace(" ", ""))
    for word in dict.fromkeys(words):
        for suffix in target.suffixes[:PLACES]:
            yield f"{word}.{suffix}"
            yield f"{word}{target.queries[1]}.{suffix}"


@fuzzer("initialism")
def initialism(target: Target) -> Iterator[str]:
    """pinyin initials with a query word: tzzycx.com, tzzy-chaxun.cn"""
    for letters in target.site.initialism:
        for suffix in target.suffixes[:PLACES]:
            for word in target.queries:
                yield f"{letters}{word}.{suffix}"
                yield f"{letters}-{word}.{suffix}"


@fuzzer("region-department")
def region_department(target: Target) -> Iterator[str]:
    """a province's department by its region and initials: hubeizjt.com, zjt-hubei.cn"""
    department = [t for t in target.site.tokens if len(t) <= 5]
    for spelling in target.region_spellings:
        for token in department:
            for suffix in target.suffixes[:PLACES]:
                yield f"{spelling}{token}.{suffix}"
                yield f"{token}-{spelling}.{suffix}"


def is_permissible(domain: str) -> bool:
    """Permutations are only worth resolving where anyone can register them."""
    return psl.split(domain).suffix not in GOV_SUFFIXES
