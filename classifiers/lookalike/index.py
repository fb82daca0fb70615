"""Matching tables precomputed once per watchlist: tokens, their weights and their sites."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from classifiers.lookalike import homoglyphs, psl
from classifiers.lookalike.triere import pattern
from classifiers.lookalike.watchlist import Watchlist

# How much one piece of evidence says "imitation" (combined as 1 - Π(1 - w)); a name is a
# lookalike at 0.5, so a weak token needs a second signal. Reason codes are stable.
WEIGHTS = {
    "gov-cn-subdomain": 0.9,   # zlaq.mohurd.gov.cn.example.com
    "homoglyph": 0.85,         # an official brand once lookalike characters are folded
    "brand": 0.75,             # an official brand token outside the official domain
    "gov-cn-dash": 0.7,        # gov-cn, govcn
    "brand-near": 0.65,        # edit distance 1–2 from an official brand
    "zh-agency": 0.6,          # 住建, 应急管理 … in an IDN label
    "mixed-script": 0.6,       # Latin and Cyrillic/Greek letters in one label
    "gov-before-cn": 0.6,      # mohurdgov.cn, mohurd-gov.cn
    "official-label": 0.6,     # an official host's own label as the whole name: mem.com
    "region-department": 0.5,  # hubei + zjt: a province department's name
    "confusable-script": 0.5,  # a Cyrillic label that reads as Latin
    "token": 0.3,              # a short official label, initialism or pinyin word
    "gov-token": 0.3,
    "query-word": 0.3,
    "zh-query": 0.3,
    "region": 0.15,
    "idn": 0.1,
}
THRESHOLD = 0.5
MIN_BRAND = 5  # shorter tokens only count when a label is made of known tokens
MIN_NEAR = 6  # brands this long match at edit distance 1 (5-letter initials collide too often)
NEAR2 = 12  # brands this long also match at edit distance 2

GOV_SUFFIXES = frozenset({"gov.cn", "xn--zfr164b"})  # .gov.cn and .政务: registration restricted
# Other governments' suffixes (gov.uk, go.jp, usa.gov …) are just as closed to fraudsters.
FOREIGN_GOV_LABELS = frozenset({"gov", "go", "govt", "gouv", "gob", "gv", "mil"})


@dataclass
class TokenInfo:
    kind: str  # brand | token | query-word | gov-token | region
    sites: frozenset[int]
    region: str | None = None


@dataclass
class NameIndex:
    official_hosts: dict[str, int]
    official_registered: frozenset[str]
    tokens: dict[str, TokenInfo]
    long_re: re.Pattern[str]
    longest_token: int
    seg_re: re.Pattern[str]
    prefix_re: re.Pattern[str]  # known tokens (or digits) at the start of a label
    suffix_re: re.Pattern[str]  # the same at the end, matched on the reversed label
    brands: list[str]
    near_first: dict[tuple[str, int], tuple[str, ...]]  # (first 2 chars, length ±1) → brands
    near_last: dict[tuple[str, int], tuple[str, ...]]  # (last 2 chars, length ±1) → brands
    long_brands: dict[int, list[str]]  # name length → brands of 12+ letters within 2 of it
    embedded: list[tuple[str, int]]  # official host without www, site index — longest first
    region_sites: dict[str, frozenset[int]]
    query_portals: frozenset[int]  # sites with 查询 in their name or a title
    gov_words: frozenset[str]  # gov_tokens: gov, zhengfu, guanwang …
    home_portal: dict[int, int]  # an agency's home site → its one query portal (www.mem → cx.mem)
    generic: frozenset[str]
    host_labels: dict[str, frozenset[int]]  # labels of official hosts (mem, zlaq, gzjs …)
    tld_labels: frozenset[str]  # last labels of every public-suffix rule
    suffix_rules: frozenset[str]  # the rules themselves ("com.cn", "*.ck", "!www.ck")
    official_tails: tuple[str, ...]  # ".gov.cn", ".osta.org.cn" …: never the fast path
    glyphs: homoglyphs.Homoglyphs
    clean_labels: dict[str, bool] = field(default_factory=dict)  # fast-path memo per label

    def is_word(self, piece: str) -> bool:
        """A whole token, a generic label or a number: a piece that needs no repair."""
        return piece in self.tokens or piece in self.generic or piece.isdigit()


_RANK = {"brand": 5, "token": 4, "gov-token": 3, "query-word": 2, "region": 1}


def index_for(watchlist: Watchlist) -> NameIndex:
    cached = watchlist.cache.get("names")
    if cached is None:
        cached = watchlist.cache["names"] = _build(watchlist)
    return cached


def _build(watchlist: Watchlist) -> NameIndex:
    vocab = watchlist.vocabulary
    generic = frozenset(vocab.generic_labels)
    region_spelling = {s: r for r, spellings in vocab.regions.items() for s in spellings}
    query = frozenset(vocab.query_words)
    tokens: dict[str, TokenInfo] = {}

    def add(token: str, kind: str, sites: frozenset[int] = frozenset(),
            region: str | None = None) -> None:
        # Explicit brands of four letters (osta, pqrc) stay brands; matching keeps them to
        # whole labels. Derived ones that short (zjt, mem) are only tokens.
        if len(token) < 2 or token in generic:
            return
        old = tokens.get(token)
        if old is None:
            tokens[token] = TokenInfo(kind, sites, region)
            return
        keep = kind if _RANK[kind] > _RANK[old.kind] else old.kind
        tokens[token] = TokenInfo(keep, old.sites | sites, old.region or region)

    for index, site in enumerate(watchlist.sites):
        own = frozenset({index})
        for token in site.brands:
            add(token, "brand", own)
        for token in site.tokens:
            add(token, "token", own)
        for token in site.initialism:
            add(token, "brand" if len(token) >= MIN_BRAND else "token", own)
        if site.pinyin:
            syllables = site.pinyin.split()
            add("".join(syllables), "brand", own)
            initials = "".join(x[0] for x in syllables)  # 全国特种作业… → qgtzzy…
            add(initials, "brand" if len(initials) >= MIN_BRAND else "token", own)
        parts = psl.split(site.host)
        for label in (parts.subdomain.split(".") if parts.subdomain else []) + [parts.domain]:
            # chinamine-safety counts whole (chinaminesafety); "chinamine" alone is too close
            # to ordinary names (chinawine).
            for piece in {label.replace("-", "")}:
                if (piece in region_spelling or piece in generic or piece in query
                        or not piece.isalnum()):
                    continue
                add(piece, "brand" if len(piece) >= MIN_BRAND else "token", own)
    for token in vocab.department_tokens:
        add(token, "token")
    for token in vocab.query_words:
        add(token, "query-word")
    for token in vocab.gov_tokens:
        add(token, "gov-token")
    for spelling, region in region_spelling.items():
        add(spelling, "region", region=region)
    region_sites = {r: frozenset(i for i, s in enumerate(watchlist.sites) if s.region == r)
                    for r in vocab.regions}
    # Query words point to the query portals (查询 in the name or a title): a name saying
    # "zscx" next to "mohurd" imitates the certificate query, not the ministry's home page.
    # They say which kind of site, not which one, so names.py uses them to break ties only.
    portals = frozenset(i for i, s in enumerate(watchlist.sites)
                        if "查询" in s.name or any("查询" in t for t in s.titles))
    for info in tokens.values():
        if info.kind == "query-word":
            info.sites = portals
    # Department tokens point to every site that lists them.
    for token, info in tokens.items():
        if not info.sites and info.kind == "token":
            info.sites = _listing(watchlist, token)
    _widen_departments(watchlist, tokens)

    host_labels: dict[str, set[int]] = {}
    for index, site in enumerate(watchlist.sites):
        parts = psl.split(site.host)
        for label in (parts.subdomain.split(".") if parts.subdomain else []) + [parts.domain]:
            if label and label not in generic and label not in region_spelling:
                host_labels.setdefault(label, set()).add(index)
    official_hosts: dict[str, int] = {}
    registered = set()
    for index, site in enumerate(watchlist.sites):
        bare = site.host.removeprefix("www.")
        official_hosts.setdefault(bare, index)
        parts = psl.split(site.host)
        # The registrant of mohurd.gov.cn owns all of it; hubei.gov.cn is shared by the
        # province's departments, so only listed hosts under it count as official.
        if parts.suffix not in GOV_SUFFIXES or parts.subdomain in ("", "www") or any(
                s.host in (parts.registered, "www." + parts.registered)
                for s in watchlist.sites):
            registered.add(parts.registered)

    everything = sorted(tokens)
    alternation = pattern(everything)
    brands = sorted(t for t, i in tokens.items() if i.kind == "brand" and len(t) >= MIN_NEAR)
    near_first: dict[tuple[str, int], list[str]] = {}
    near_last: dict[tuple[str, int], list[str]] = {}
    for brand in brands:
        for size in range(len(brand) - 1, len(brand) + 2):
            near_first.setdefault((brand[:2], size), []).append(brand)
            near_last.setdefault((brand[-2:], size), []).append(brand)
    long_brands: dict[int, list[str]] = {}
    for brand in (b for b in brands if len(b) >= NEAR2):
        for size in range(len(brand) - 2, len(brand) + 3):
            long_brands.setdefault(size, []).append(brand)
    embedded = sorted(((h, i) for h, i in official_hosts.items() if "." in h),
                      key=lambda item: -len(item[0]))
    rules = frozenset(psl.extractor().tlds)
    tails_all = {".gov.cn", ".xn--zfr164b", *("." + r for r in registered),
                 *("." + h for h in official_hosts)}
    # Keep only the shortest: ".gov.cn" already covers every host under it.
    tails = tuple(sorted(t for t in tails_all
                         if not any(t != u and t.endswith(u) for u in tails_all)))
    return NameIndex(
        host_labels={k: frozenset(v) for k, v in host_labels.items()},
        tld_labels=frozenset(r.rsplit(".", 1)[-1] for r in rules),
        suffix_rules=rules,
        official_tails=tails,
        official_hosts=official_hosts,
        official_registered=frozenset(registered),
        tokens=tokens,
        long_re=re.compile(pattern(t for t in everything if len(t) >= MIN_BRAND)),
        longest_token=max(map(len, tokens)),
        seg_re=re.compile(f"(?:{alternation}|[0-9]+)+"),
        prefix_re=re.compile(f"(?:{alternation}|[0-9]+)"),
        suffix_re=re.compile(f"(?:{pattern(t[::-1] for t in everything)}|[0-9]+)"),
        brands=brands,
        near_first={k: tuple(v) for k, v in near_first.items()},
        near_last={k: tuple(v) for k, v in near_last.items()},
        long_brands=long_brands,
        embedded=embedded,
        region_sites=region_sites,
        query_portals=portals,
        home_portal=_home_portals(watchlist, portals),
        gov_words=frozenset(vocab.gov_tokens),
        generic=generic,
        glyphs=homoglyphs.load(),
    )


def _listing(watchlist: Watchlist, token: str) -> frozenset[int]:
    return frozenset(i for i, s in enumerate(watchlist.sites)
                     if token in s.tokens or token in s.initialism)


def _widen_departments(watchlist: Watchlist, tokens: dict[str, TokenInfo]) -> None:
    """A department word that only some hosts carry as their label names the department.

    zfcxjst (住房城乡建设厅) is the host label of five provinces' 住建厅 and listed by none, so
    it would point to those five only, and `zfcxjst-sc.com` could not reach Sichuan's
    jst.sc.gov.cn. It points to every site listing the department tokens those hosts list
    (zjt, zhujianting): the region, when named, then picks the province.
    """
    department = frozenset(watchlist.vocabulary.department_tokens)
    for token in department:
        info = tokens.get(token)
        if info is None or not info.sites or _listing(watchlist, token):
            continue
        kin = frozenset(
            t for i in info.sites
            for t in (*watchlist.sites[i].tokens, *watchlist.sites[i].initialism)
            if t in department)
        info.sites = info.sites | frozenset(
            i for i, s in enumerate(watchlist.sites)
            if not kin.isdisjoint(s.tokens) or not kin.isdisjoint(s.initialism))


def _home_portals(watchlist: Watchlist, portals: frozenset[int]) -> dict[int, int]:
    """zhujianbu-cx imitates the ministry's certificate query, as mohurd-cx does.

    A query word next to an agency's home site (www.mohurd.gov.cn) points to the query portal
    of the same registrant (zlaq.mohurd.gov.cn), when it has exactly one.
    """
    registrant = {i: psl.split(s.host).registered for i, s in enumerate(watchlist.sites)}
    homes: dict[int, int] = {}
    for index, site in enumerate(watchlist.sites):
        own = registrant[index]
        if index in portals or site.host not in (own, "www." + own):
            continue
        found = [p for p in portals if registrant[p] == own]
        if len(found) == 1:
            homes[index] = found[0]
    return homes
