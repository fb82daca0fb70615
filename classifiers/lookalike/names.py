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
from classifiers.lookalike.homoglyphs import confusable_script, mixed_script
from classifiers.lookalike.index import GOV_SUFFIXES, THRESHOLD, WEIGHTS, NameIndex, index_for
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
    parts = psl.split(name)
    if not parts.suffix or not parts.domain:
        from classifiers.lookalike.errors import InvalidDomain

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
                hit("mixed-script", index.glyphs.fold(label))
            elif confusable_script(label):
                hit("confusable-script", index.glyphs.fold(label))
        if not raw_body.isascii():
            _chinese(index, watchlist, raw_body, hit)

    if "gov" in folded:
        if _GOV_CN_SUB.search(folded):
            hit("gov-cn-subdomain", "", _embedded(index, folded))
        elif _GOV_CN_DASH.search(folded):
            hit("gov-cn-dash")
        if parts.suffix.endswith("cn") and parts.domain.endswith("gov") and parts.domain != "gov":
            hit("gov-before-cn")

    for label in folded.split("."):
        if not label or label in index.generic:
            continue
        pieces = label.split("-")
        if len(pieces) > 1:
            pieces.append(label.replace("-", ""))
        for piece in pieces:
            if piece and piece not in index.generic:
                _piece(index, piece, raw_body, hit)

    regions = {key.split(":", 1)[1] for key in signals if key.startswith("region:")}
    if regions:
        for key, (_, sites) in list(signals.items()):
            if key.startswith("token:"):
                for region in regions:
                    if sites & index.region_sites.get(region, frozenset()):
                        hit("region-department", f"{region}+{key.split(':', 1)[1]}",
                            sites & index.region_sites[region])
    return _verdict(index, watchlist, host.unicode, signals, regions)


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
        for match in index.any_re.finditer(piece):
            token = match.group()
            if index.tokens[token].kind == "brand":
                brand_found = True
                hit("brand" if token in raw else "homoglyph", token,
                    index.tokens[token].sites)
            else:
                _token(index, token, hit)
    if brand_found or len(piece) < 4:
        return
    _near(index, piece, hit)
    core = index.strip_re.sub("", piece)
    if core != piece and len(core) >= 4:
        _near(index, core, hit)


def _token(index: NameIndex, token: str, hit) -> None:
    info = index.tokens[token]
    if info.kind == "region":
        hit("region", info.region or token)
    else:
        hit(info.kind, token, info.sites)


def _near(index: NameIndex, text: str, hit) -> None:
    best = extractOne(text, index.brands, scorer=OSA.distance, score_cutoff=2)
    if best is None:
        return
    brand, distance, _ = best
    allowed = 1 if len(brand) < 8 else 2
    if 0 < distance <= allowed:
        hit("brand-near", brand, index.tokens[brand].sites)


def _chinese(index: NameIndex, watchlist: Watchlist, body: str, hit) -> None:
    vocab = watchlist.vocabulary
    for word in vocab.zh_agency:
        if word in body:
            hit("zh-agency", word, _sites_named(watchlist, word))
    for word in vocab.zh_query:
        if word in body:
            hit("zh-query", word)


def _sites_named(watchlist: Watchlist, word: str) -> frozenset[int]:
    return frozenset(i for i, s in enumerate(watchlist.sites)
                     if s.region is None and (word in s.name or word in s.owner
                                              or any(word in t for t in s.titles)))


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
    for weight, sites in signals.values():
        keep *= 1.0 - weight
        for site in sites:
            votes[site] = votes.get(site, 0.0) + weight
    for region in regions:
        for site in index.region_sites.get(region, ()):
            if site in votes:
                votes[site] += WEIGHTS["region"]
    score = round(1.0 - keep, 3)
    reasons = sorted(signals, key=lambda key: -signals[key][0])
    if score < THRESHOLD:
        return NameVerdict(shown, "benign", score, None, reasons)
    imitates = None
    if votes:
        best = max(votes.items(), key=lambda item: (item[1], -item[0]))[0]
        imitates = watchlist.sites[best].host
    return NameVerdict(shown, "lookalike", score, imitates, reasons)
