"""Offline name analysis: is this hostname imitating an official portal? (issue 4 §2)

`analyze_domain(domain, watchlist)` → NameVerdict(label lookalike|official|benign, score 0–1,
imitates, reasons). Reasons are stable short codes, `code` or `code:detail`; weights in index.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from classifiers.lookalike import hostnames, psl
from classifiers.lookalike.errors import InvalidDomain
from classifiers.lookalike.homoglyphs import confusable_script, mixed_script
from classifiers.lookalike.index import (
    FOREIGN_GOV_LABELS,
    GOV_SUFFIXES,
    NEAR2,
    THRESHOLD,
    WEIGHTS,
    NameIndex,
    index_for,
)
from classifiers.lookalike.watchlist import Watchlist

LABELS = ("lookalike", "official", "benign")
_GOV_CN_SUB = re.compile(r"(?:^|[.-])gov\.cn(?:[.-]|$)")
_GOV_CN_DASH = re.compile(r"gov(?:-+|)cn")


@dataclass(slots=True)
class NameVerdict:
    domain: str
    label: str
    score: float
    imitates: str | None
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The check-domain contract: {domain, label, score, imitates, reasons}."""
        return {"domain": self.domain, "label": self.label, "score": self.score,
                "imitates": self.imitates, "reasons": list(self.reasons)}

    @property
    def is_lookalike(self) -> bool:
        return self.label == "lookalike"


def analyze_domain(domain: str, watchlist: Watchlist) -> NameVerdict:
    """Score one hostname (Unicode, punycode or a URL); raises InvalidDomain for bad names."""
    index = index_for(watchlist)
    host = hostnames.normalize(domain)
    name = host.ascii
    if not host.is_idn and _plainly_benign(index, name):
        return NameVerdict(name, "benign", 0.0, None, [])
    return _analyze(index, watchlist, domain, host)


def _analyze(index: NameIndex, watchlist: Watchlist, domain: str,
             host: hostnames.Host) -> NameVerdict:
    name = host.ascii
    parts = psl.split(name)
    if not parts.suffix or not parts.domain:
        raise InvalidDomain(f"{domain.strip()!r}: no registrable domain under a public suffix")
    shown = host.unicode
    site = index.official_hosts.get(name.removeprefix("www."))
    if site is not None:
        return NameVerdict(shown, "official", 0.0, None,
                           [f"official-site:{watchlist.sites[site].host}"])
    if parts.registered in index.official_registered:
        return NameVerdict(shown, "official", 0.0, None,
                           [f"official-registrant:{parts.registered}"])
    if parts.suffix in GOV_SUFFIXES:
        return NameVerdict(shown, "benign", 0.0, None, [f"gov-cn-restricted:{parts.suffix}"])
    if not FOREIGN_GOV_LABELS.isdisjoint(parts.suffix.split(".")):
        return NameVerdict(shown, "benign", 0.0, None, [f"gov-suffix-restricted:{parts.suffix}"])
    return _score(index, watchlist, host, parts)


def _score(index: NameIndex, watchlist: Watchlist, host: hostnames.Host,
           parts: psl.Parts) -> NameVerdict:
    signals: dict[str, tuple[float, frozenset[int]]] = {}

    def hit(code: str, detail: str = "", sites: frozenset[int] = frozenset()) -> None:
        key = f"{code}:{detail}" if detail else code
        if key not in signals:
            signals[key] = (WEIGHTS[code], sites)

    if host.is_idn:
        raw_body = _body(psl.split(host.unicode)) if not host.unicode.isascii() else ""
        raw_body = raw_body or _body(parts)
        hit("idn")
    else:
        raw_body = _body(parts)
    folded = index.glyphs.fold(raw_body)
    if host.is_idn:
        for label in raw_body.split("."):
            if mixed_script(label):
                hit("mixed-script", _ascii(index.glyphs.fold(label)))
            elif confusable_script(label):
                hit("confusable-script", _ascii(index.glyphs.fold(label)))
        if not raw_body.isascii():
            _chinese(index, watchlist, raw_body, hit)

    label = index.glyphs.fold(parts.domain)  # the registrable label, folded
    if "gov" in folded:
        if _GOV_CN_SUB.search(folded):
            hit("gov-cn-subdomain", "", _embedded(index, folded))
        elif _GOV_CN_DASH.search(folded):
            hit("gov-cn-dash")
        if parts.suffix.endswith("cn") and label.endswith("gov") and label != "gov":
            hit("gov-before-cn")

    _pieces(index, folded, raw_body, hit)
    if "gov-token:gov" in signals and any(
            key in signals for key in ("gov-cn-subdomain", "gov-cn-dash", "gov-before-cn")):
        del signals["gov-token:gov"]  # the same "gov" already counted as a gov.cn trick
    if label in index.host_labels:
        hit("official-label", label, index.host_labels[label])
        signals.pop(f"token:{label}", None)  # the same label, counted once
    regions = {key.split(":", 1)[1] for key in signals if key.startswith("region:")}
    if regions:
        for key, (_, sites) in list(signals.items()):
            if key.startswith("token:"):
                for region in regions:
                    if sites & index.region_sites.get(region, frozenset()):
                        hit("region-department", f"{region}+{key.split(':', 1)[1]}",
                            sites & index.region_sites[region])
    return _verdict(index, watchlist, host.unicode, signals, regions)


def _plainly_benign(index: NameIndex, name: str) -> bool:
    """The fast path for the bulk of a feed: a valid name with no signal at all.

    Decides without tldextract: the piece checks run on every label but the last (a superset
    of the registrable part), and anything official, governmental, IDN, "gov"-bearing or
    close to a public suffix goes to the full analysis. tests/test_lookalike_names.py checks
    it agrees with the full path.
    """
    head, _, last = name.rpartition(".")
    if last not in index.tld_labels or ("." + name).endswith(index.official_tails):
        return False
    rules = index.suffix_rules
    if name in rules or (f"*.{name.partition('.')[2]}" in rules and f"!{name}" not in rules):
        return False  # the whole name is a public suffix: let the full path reject it
    if last in FOREIGN_GOV_LABELS or head.rpartition(".")[2] in FOREIGN_GOV_LABELS:
        return False  # a government suffix: the full path says so in its reasons
    folded = index.glyphs.fold(head)
    if "gov" in folded:
        return False
    memo = index.clean_labels
    for label in folded.split("."):
        clean = memo.get(label)
        if clean is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            clean = memo[label] = _label_is_clean(index, label)
        if not clean:
            return False
    return True


MEMO_SIZE = 200_000  # labels repeat across a feed (www, mail, api, brand on many suffixes)


def _label_is_clean(index: NameIndex, label: str) -> bool:
    """No piece of this label (nor the label without hyphens) gives any signal."""
    if label in index.generic:
        return True
    if label in index.host_labels or index.long_re.search(label.replace("-", "")):
        return False  # tokens are alphanumeric: one search covers every piece and the join
    pieces = label.split("-")
    if len(pieces) > 1:
        pieces.append(label.replace("-", ""))
    for piece in pieces:
        if not piece or piece in index.generic or piece.isdigit():
            continue
        if index.seg_re.fullmatch(piece):
            return False
        if len(piece) >= 4 and _nearest(index, piece) is not None:
            return False
        if len(piece) >= 7:
            core = _core(index, piece)
            if core != piece and len(core) >= 4 and _nearest(index, core) is not None:
                return False
    return True


def _pieces(index: NameIndex, folded: str, raw: str, hit) -> None:
    for label in folded.split("."):
        if not label or label in index.generic:
            continue
        pieces = label.split("-")
        if len(pieces) > 1 and not all(map(index.is_word, pieces)):
            # mo-hurd is a brand split in two. When every piece is a word already
            # (zfcxjs-tj, yjgl-jl), the join only makes up a brand across the hyphen.
            pieces.append(label.replace("-", ""))
        for piece in pieces:
            if piece and piece not in index.generic:
                _piece(index, piece, raw, hit)


def _ascii(label: str) -> str:
    """Reasons stay ASCII: a label the folding could not make ASCII is shown as punycode."""
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


def _body(parts: psl.Parts) -> str:
    return f"{parts.subdomain}.{parts.domain}" if parts.subdomain else parts.domain


def _piece(index: NameIndex, piece: str, raw: str, hit) -> None:
    brand_found = False
    for match in index.long_re.finditer(piece):
        token = match.group()
        info = index.tokens[token]
        if info.kind == "brand":
            brand_found = True
            hit("brand" if token in raw else "homoglyph", token, info.sites)
        else:
            _token(index, token, hit)
    if index.seg_re.fullmatch(piece):
        for token in _segment(index, piece):
            if index.tokens[token].kind == "brand":
                brand_found = True
                hit("brand" if token in raw else "homoglyph", token,
                    index.tokens[token].sites)
            else:
                _token(index, token, hit)
    if brand_found or len(piece) < 4:
        return
    if _near(index, piece, hit) or len(piece) < 7:
        return
    core = _core(index, piece)
    if core != piece and len(core) >= 4:
        _near(index, core, hit)


def _segment(index: NameIndex, piece: str) -> list[str]:
    """The tokens a label is made of (digits between them skipped), fewest tokens first.

    Only called once the segmentation regex has matched, so a split always exists; the
    regex cannot say which (jsjst is js + jst, not jsj + st).
    """
    tokens, longest = index.tokens, index.longest_token
    best: list[list[str] | None] = [None] * (len(piece) + 1)
    best[0] = []
    for end in range(1, len(piece) + 1):
        for start in range(max(0, end - longest), end):
            done = best[start]
            if done is None:
                continue
            word = piece[start:end]
            if word in tokens:
                found = [*done, word]
            elif word.isdigit():
                found = done
            else:
                continue
            current = best[end]
            if current is None or len(found) < len(current):
                best[end] = found
    return best[-1] or []


def _core(index: NameIndex, piece: str) -> str:
    """zlaqmohrud, mohrudcx → mohrud: known tokens glued to a misspelt brand, cut off."""
    head = index.prefix_re.match(piece)
    core = piece[head.end():] if head else piece
    tail = index.suffix_re.match(core[::-1])
    return core[:len(core) - tail.end()] if tail else core


def _token(index: NameIndex, token: str, hit) -> None:
    info = index.tokens[token]
    if info.kind == "region":
        hit("region", info.region or token)
    else:
        hit(info.kind, token, info.sites)


def _near(index: NameIndex, text: str, hit) -> bool:
    nearest = _nearest(index, text)
    if nearest is None:
        return False
    hit("brand-near", nearest, index.tokens[nearest].sites)
    return True


def _nearest(index: NameIndex, text: str) -> str | None:
    """The brand at edit distance 1 (2 for brands of 12+ letters), transpositions counting 1.

    One edit touches at most two neighbouring positions, so against a brand of 6+ letters it
    leaves the first two or the last two characters in place: the candidates are the few
    brands of about the same length sharing either pair.
    """
    size = len(text)
    best = None
    for bucket in (index.near_first.get((text[:2], size)), index.near_last.get((text[-2:], size))):
        if bucket:
            for brand in bucket:
                if (OSA.distance(text, brand, score_cutoff=1) == 1
                        and (best is None or brand < best)):
                    best = brand
    if best is None and size >= NEAR2 - 2:
        bucket = index.long_brands.get(size)
        if bucket:
            match = extractOne(text, bucket, scorer=OSA.distance, score_cutoff=2)
            if match is not None and match[1] > 0:
                best = match[0]
    return best


def _chinese(index: NameIndex, watchlist: Watchlist, body: str, hit) -> None:
    vocab = watchlist.vocabulary
    for word, ident in vocab.zh_agency.items():
        if word in body:
            hit("zh-agency", ident, _sites_named(watchlist, word))
    for word, ident in vocab.zh_query.items():
        if word in body:
            hit("zh-query", ident)


def _sites_named(watchlist: Watchlist, word: str) -> frozenset[int]:
    """National sites whose name or owner holds the word; failing those, a page title.

    The name says what a site is; a title may only mention it: 特种作业 names cx.mem.gov.cn
    (特种作业操作证…查询), while zlaq.mohurd.gov.cn only lists 建筑施工特种作业 among its queries.
    """
    national = [(i, s) for i, s in enumerate(watchlist.sites) if s.region is None]
    named = frozenset(i for i, s in national if word in s.name or word in s.owner)
    return named or frozenset(i for i, s in national if any(word in t for t in s.titles))


def _embedded(index: NameIndex, folded: str) -> frozenset[int]:
    for host, site in index.embedded:
        if host in folded:
            return frozenset({site})
    return frozenset()


def _verdict(index: NameIndex, watchlist: Watchlist, shown: str,
             signals: dict[str, tuple[float, frozenset[int]]], regions: set[str]) -> NameVerdict:
    if not signals:
        return NameVerdict(shown, "benign", 0.0, None, [])
    keep = 1.0
    votes: dict[int, float] = {}
    asks_query = False
    for key, (weight, sites) in signals.items():
        keep *= 1.0 - weight
        code, _, detail = key.partition(":")
        if code in _QUERY_CODES:
            # "a query portal", not which one: it only breaks ties. 官网 (guanwang) is among
            # the Chinese query words but says "official site", not "query".
            asks_query = asks_query or detail not in index.gov_words
            continue
        for site in sites:
            votes[site] = votes.get(site, 0.0) + weight
    score = round(1.0 - keep, 3)
    reasons = sorted(signals, key=lambda key: -signals[key][0])
    if score < THRESHOLD:
        return NameVerdict(shown, "benign", score, None, reasons)
    best = _imitated(index, votes, regions, asks_query)
    imitates = watchlist.sites[best].host if best is not None else None
    return NameVerdict(shown, "lookalike", score, imitates, reasons)


_QUERY_CODES = frozenset({"query-word", "zh-query"})


def _imitated(index: NameIndex, votes: dict[int, float], regions: set[str],
              asks_query: bool) -> int | None:
    """The site the name's own signals point to most; region and query words break ties.

    A region or a query word names many sites (every query portal, every department of a
    province), so it must not outvote a site's own token: `jzsc-chaxun.com` imitates
    jzsc.mohurd.gov.cn, not the first query portal on the watchlist. A query word still
    moves an agency's home site to that agency's query portal (zhujianbu-cx → zlaq).
    """
    if not votes:
        return None
    top = max(votes.values())
    tied = [site for site, vote in votes.items() if top - vote < 1e-9]
    local: frozenset[int] = frozenset().union(
        *(index.region_sites.get(region, frozenset()) for region in regions))
    portals = index.query_portals if asks_query else frozenset()
    best = min(tied, key=lambda site: (site not in local, site not in portals, site))
    return index.home_portal.get(best, best) if asks_query else best
