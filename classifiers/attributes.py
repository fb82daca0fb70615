"""Attributes of an ad: the certificates, contacts, salient price and region it names.

The extractors work on the raw text. Each one folds the text character by character (NFKC,
lower case, digit look-alikes, a few traditional characters) into a string of the *same
length*, so an offset found in the folded text is an offset into the original; nothing here
depends on the classifier's normaliser.

Span convention: `extract_attributes(text, title)` reads ``attribute_source(text, title)``,
which is ``f"{title}\\n{text}"`` when a title is given and `text` otherwise (the string the
classifier scores). Every `start`/`end` indexes that string; the `extract_*` functions take
one string and index it.

Contacts keep the first occurrence of each key (`kind:value`). Digits written after a WeChat
cue ("微信：138…", "微信同号") are the phone number the account is registered to and count as
`mobile:…`, so "V信 138-1234-5678" and "电话 13812345678" are one contact.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from classifiers.errors import ClassifierError

__all__ = ["AttributeTableError", "Attributes", "Certificate", "Contact", "Price",
           "attribute_source", "extract_attributes", "extract_certificates", "extract_contacts",
           "extract_prices", "extract_region"]

DATA_DIR = Path(__file__).parent / "data"


class AttributeTableError(ClassifierError):
    """certificates.yaml or regions.yaml is malformed: the message names the file and entry."""


@dataclass(frozen=True)
class Certificate:
    family: str  # "一级建造师", "特种作业操作证", … "其他"
    specialty: str | None  # "市政", "电工", "C证", … or None when not written
    start: int
    end: int
    text: str = ""  # the source slice, so `as_dict` needs no source


@dataclass(frozen=True)
class Contact:
    kind: str  # "mobile" | "wechat" | "qq" | "phone"
    value: str  # mobile: 11 digits; wechat: id lower-cased; qq/phone: digits only
    key: str  # f"{kind}:{value}"
    start: int  # span of the number or id itself, not of its cue
    end: int
    text: str = ""


@dataclass(frozen=True)
class Price:
    amount_cny: float  # low end of a range
    period: str | None  # "year" | "month" | "once" | None
    raw: str  # as written, range included ("2-3万")
    start: int
    end: int


@dataclass(frozen=True)
class Attributes:
    certificates: tuple[Certificate, ...] = ()
    contacts: tuple[Contact, ...] = ()
    price: Price | None = None  # the salient one: see `_salient`
    region: str | None = None  # "安徽·合肥", "江苏", "北京"

    def as_dict(self) -> dict[str, Any]:
        price = self.price
        return {
            "certificates": [{"family": c.family, "specialty": c.specialty, "text": c.text}
                             for c in self.certificates],
            "contacts": [{"kind": c.kind, "value": c.value, "key": c.key, "text": c.text}
                         for c in self.contacts],
            "price": None if price is None else {"amount_cny": price.amount_cny,
                                                 "period": price.period, "text": price.raw},
            "region": self.region,
        }


# Frozen dataclasses set each field through object.__setattr__; these build the same objects
# (equal, same hash and repr) by filling the instance dict, in half the time.
_object_new = object.__new__


def _new_certificate(family: str, specialty: str | None, start: int, end: int,
                     text: str) -> Certificate:
    obj = _object_new(Certificate)
    fields = obj.__dict__
    fields["family"] = family
    fields["specialty"] = specialty
    fields["start"] = start
    fields["end"] = end
    fields["text"] = text
    return obj


def _new_contact(kind: str, value: str, key: str, start: int, end: int, text: str) -> Contact:
    obj = _object_new(Contact)
    fields = obj.__dict__
    fields["kind"] = kind
    fields["value"] = value
    fields["key"] = key
    fields["start"] = start
    fields["end"] = end
    fields["text"] = text
    return obj


def _new_price(amount_cny: float, period: str | None, raw: str, start: int, end: int) -> Price:
    obj = _object_new(Price)
    fields = obj.__dict__
    fields["amount_cny"] = amount_cny
    fields["period"] = period
    fields["raw"] = raw
    fields["start"] = start
    fields["end"] = end
    return obj


def _new_attributes(certificates: tuple[Certificate, ...], contacts: tuple[Contact, ...],
                    price: Price | None, region: str | None) -> Attributes:
    obj = _object_new(Attributes)
    fields = obj.__dict__
    fields["certificates"] = certificates
    fields["contacts"] = contacts
    fields["price"] = price
    fields["region"] = region
    return obj


def attribute_source(text: str, title: str = "") -> str:
    """The string `extract_attributes` reads and its spans index."""
    return f"{title}\n{text}" if title else text


def extract_attributes(text: str, title: str = "") -> Attributes:
    """All attributes of one ad; spans index ``attribute_source(text, title)``."""
    source = f"{title}\n{text}" if title else text
    if not source or source.isspace():
        return Attributes()
    folded = _fold_text(source)  # once per ad: no need of `_fold`'s cache
    cues = set(_CUES_RE.findall(folded))
    certificates, mentions = _certificates(source, folded)
    occurrences = _all_contacts(folded, cues)
    price = None
    if not _PRICE_CUES_ANY.isdisjoint(cues):
        prices = _prices(folded, occurrences, cues)
        if prices:
            price = _price(source, _salient(prices, mentions))
    return _new_attributes(certificates, _unique(source, occurrences) if occurrences else (),
                           price, _region(folded))


# ---------------------------------------------------------------------------- folding

# Traditional forms of characters in certificate, region and money words (掛證, 兩萬).
_SIMPLIFIED = dict(zip(
    "級證築師監價設計冊電銲機業員備種書處構結氣給號壓險環礦鐵車駕裝資質勞務標準測繪詢諮門廣東開發"
    "變輸動煉屬爐職稱類專陸鍋試關續費練際區單萬塊圓兩貳",
    "级证筑师监价设计册电焊机业员备种书处构结气给号压险环矿铁车驾装资质劳务标准测绘询咨门广东开发"
    "变输动炼属炉职称类专陆锅试关续费练际区单万块圆两贰", strict=True))


def _fold_char(char: str) -> str:
    out = unicodedata.normalize("NFKC", char).lower()
    return _SIMPLIFIED.get(out, out) if len(out) == 1 else char


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight: NFKC, lower case, simplified form; kept only
    when NFKC gives one character (so "⑩" → "10" is refused) to keep every original offset."""

    def __missing__(self, codepoint: int) -> str:
        out = self[codepoint] = _fold_char(chr(codepoint))
        return out


_FOLD = _FoldTable()


_CHANGED: dict[str, str] = {}  # BMP character → its fold, for those the fold changes


@cache
def _changing_re() -> re.Pattern[str]:
    """Every character the fold may change: the BMP ones, found once (≈ 20 ms, kept in
    `_CHANGED`), and any astral character (looked up in `_FOLD` when met)."""
    for char in map(chr, range(0x10000)):
        out = _fold_char(char)
        if out != char:
            _CHANGED[char] = out
    return re.compile("[" + "".join(map(re.escape, _CHANGED)) + "\U00010000-\U0010ffff]")


# The characters the fold changes that ads use most: full-width punctuation.
_COMMON_FOLDS = [(char, _fold_char(char)) for char in "，：（）"]


def _fold_text(text: str) -> str:
    # Ads are mostly CJK, which the fold keeps: replace each distinct character it changes (a
    # few: full-width punctuation and digits) throughout, instead of translating every one.
    if text.isascii():
        return text.lower()
    folded = text
    for char, out in _COMMON_FOLDS:  # found without a regex search each
        if char in folded:
            folded = folded.replace(char, out)
    search = _changing_re().search
    replaced = 0
    m = search(folded)
    while m is not None:
        char = m.group()
        out = _CHANGED.get(char) or _FOLD[ord(char)]
        if out != char:  # else an astral character the fold keeps
            replaced += 1
            if replaced > 64 or _FOLD[ord(out)] != out:  # many, or replacements would chain
                return text.translate(_FOLD)
            folded = folded.replace(char, out)
        m = search(folded, m.end())
    return folded


@lru_cache(maxsize=4)
def _fold(text: str) -> str:
    """Fold with the original's length: full-width → ASCII, ① → 1, Ｗ → w, 證 → 证."""
    return _fold_text(text)


def _trie(words: Iterable[str]) -> dict[str, Any]:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return trie


def _trie_body(node: dict[str, Any], depth: int, gap: str) -> str:
    branches = [re.escape(ch) + _trie_body(child, depth + 1, gap)
                for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if depth:
        body = gap + body
    return f"(?:{body})?" if "" in node else body


def _trie_pattern(words: Iterable[str], gap: str = "") -> str:
    """One regex for many literal words, shared prefixes factored out so a scan over a
    megabyte is not a per-position walk over every alternative; optional groups are greedy,
    so the longest word wins. `gap` is allowed between the characters of a word."""
    return _trie_body(_trie(words), 0, gap)


def _class(chars: Iterable[str]) -> str:
    return "[" + "".join(map(re.escape, sorted(chars))) + "]"


def _buckets(items: Sequence[str], size: int) -> list[list[str]]:
    count = max(1, round(len(items) / size))
    return [list(items[i::count]) for i in range(count)]


def _dispatch_pattern(words: Iterable[str], gap_chars: str = "") -> str:
    """What `_trie_pattern(words, gap)` matches (gap: up to two of `gap_chars`), faster to scan.

    At a position holding the first character of some word, `re` walks a branch through every
    first character before it fails; with a few hundred words that makes a scan of CJK text,
    where such positions are common, slow. Here the first character is consumed by one
    character class and the second is dispatched in buckets (a class per bucket, then a
    lookbehind naming the pair), so most positions fail after a few class tests. The second
    character follows the first directly (path A) or after gap characters (path B, a
    lookbehind per first character); the two cannot both apply when no word has a gap
    character after its first, else this falls back to the plain trie."""
    words = list(words)
    gap = f"[{re.escape(gap_chars)}]{{0,2}}" if gap_chars else ""
    if not words or any(not word or set(word[1:]) & set(gap_chars) for word in words):
        return _trie_pattern(words, gap)
    trie = _trie(words)
    singles = [c1 for c1, node in trie.items() if "" in node]
    by_second: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for c1, node1 in sorted(trie.items()):
        for c2, node2 in sorted(node1.items()):
            if c2:
                by_second.setdefault(c2, []).append((c1, node2))
    paths = []
    inner_a = []
    for bucket in _buckets(sorted(by_second), 8):
        inner = []
        for c2 in bucket:
            pairs = [f"(?<={re.escape(c1 + c2)}){_trie_body(node2, 2, gap)}"
                     for c1, node2 in by_second[c2]]
            inner.append(pairs[0] if len(pairs) == 1
                         else f"(?<={re.escape(c2)})(?:{'|'.join(pairs)})")
        inner_a.append(_class(bucket) + "(?:" + "|".join(inner) + ")")
    if inner_a:
        paths.append("|".join(inner_a))
    if gap_chars:  # path B: the first gap character is consumed by a class, like a bucket
        gap_class = _class(gap_chars)
        with_children = [c1 for c1, node in sorted(trie.items()) if len(node) > ("" in node)]
        inner_b = []
        for bucket in _buckets(with_children, 8):
            inner = []
            for c1 in bucket:
                children = [re.escape(c2) + _trie_body(node2, 2, gap)
                            for c2, node2 in sorted(trie[c1].items()) if c2]
                inner.append(f"(?<={re.escape(c1)}{gap_class}){gap_class}?"
                             f"(?:{'|'.join(children)})")
            inner_b.append(f"(?<={_class(bucket)}{gap_class})(?:{'|'.join(inner)})")
        if inner_b:
            paths.append(f"{gap_class}(?:{'|'.join(inner_b)})")
    if singles:
        paths.append(f"(?<={_class(singles)})")
        return _class(trie) + "(?:" + "|".join(paths) + ")"
    # Most positions fail on the second character: one class test says so before the branch.
    return (_class(trie) + f"(?={_class(set(by_second) | set(gap_chars))})"
            + "(?:" + "|".join(paths) + ")")


def _load_yaml(name: str) -> dict[str, Any]:
    path = DATA_DIR / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AttributeTableError(
            f"{path}: cannot read the table ({exc}); restore it from git") from exc
    if not isinstance(data, dict):
        raise AttributeTableError(f"{path}: expected a mapping at the top level")
    return data


def _ascii_bounded(folded: str, start: int, end: int, lo: int = 0, hi: int = -1) -> bool:
    """An alias that begins or ends in a letter/digit must not run into one ("2j" ≠ "12j")
    within folded[lo:hi] (hi -1: the end)."""
    if not (folded[start].isascii() or folded[end - 1].isascii()):
        return True  # the common case: a Chinese word
    if hi < 0:
        hi = len(folded)

    def alnum(i: int) -> bool:
        return lo <= i < hi and folded[i].isascii() and folded[i].isalnum()
    return not (alnum(start) and alnum(start - 1)) and not (alnum(end - 1) and alnum(end))


class _Spans:
    """Sorted non-overlapping spans, looked up by bisection (a megabyte holds 10⁴ contacts)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.update(spans)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        return (i > 0 and self.ends[i - 1] > start) or (
            i < len(self.starts) and self.starts[i] < end)

    def update(self, spans: Iterable[tuple[int, int]]) -> None:
        """Add spans that overlap neither each other nor those already here."""
        merged = sorted([*zip(self.starts, self.ends, strict=True), *spans])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]


# --------------------------------------------------------------------------- contacts
# Patterns start with a literal (lookbehinds come after the first character) so that `re`
# can skip ahead to candidate characters instead of trying every position of a megabyte.

_CN_NUMERALS = {"零": "0", "〇": "0", "一": "1", "壹": "1", "幺": "1", "二": "2", "贰": "2",
                "貳": "2", "两": "2", "三": "3", "叁": "3", "參": "3", "四": "4", "肆": "4",
                "五": "5", "伍": "5", "六": "6", "陆": "6", "陸": "6", "七": "7", "柒": "7",
                "八": "8", "捌": "8", "九": "9", "玖": "9"}
# Dingbat circled digits have no NFKC form (① has, and is folded already).
_DINGBATS = {chr(base + i): str(i + 1) for base in (0x2776, 0x2780, 0x278A, 0x24F5)
             for i in range(9)} | {"⓿": "0"}
_DIGIT_TABLE = str.maketrans(_CN_NUMERALS | _DINGBATS)
_D = "[0-9" + "".join(_CN_NUMERALS) + "".join(_DINGBATS) + "]"  # any digit look-alike

_SEP = r"[ \t\r\n\-–—_.·•*|]"
# ≥ 11 digits, loosely joined; the first step written out and separators taken possessively
# (no digit is one) only make failing at a lone digit cheaper.
_RUN_RE = re.compile(rf"{_D}{_SEP}{{0,4}}+{_D}(?:{_SEP}{{0,4}}+{_D}){{9,}}")
_DIGITS_RE = re.compile(r"[0-9]+")
_SPLIT_RE = re.compile(r"([^0-9]+)")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# Labels after which an 11-digit number is an identifier, not a phone.
_NOT_PHONE_RE = re.compile(
    r"(?:编号|证号|证书号|身份证|身份证号|单号|流水号|批号|备案号|许可证|代码|卡号|学号|工号)"
    r"[号码]?\s*[:#]?\s*$")
_ASCII_CUE = r"(?=\s*[:=]|\s)"  # "wx abc123", "vx：abc123"; "wxabc" is not a cue
_WECHAT_CUES = [
    *(rf"{c}\s*[*_.\-]?\s*[信❤♥]" for c in "微威薇维徽"),  # 微信 薇信 威 信 微❤
    r"v(?<![a-z0-9]v)\s*[*_.\-]?\s*[信❤♥]",  # V信
    rf"v(?<![a-z0-9]v)x{_ASCII_CUE}", rf"w(?<![a-z0-9]w)x{_ASCII_CUE}",
    rf"w(?<![a-z0-9]w)eixin{_ASCII_CUE}", rf"w(?<![a-z0-9]w)echat{_ASCII_CUE}",
    r"v(?<![a-z0-9]v)(?=\s*[:=])",  # "v: abc123"
    *(rf"{c}\s*(?:vx|wx|v|微信|微|薇|威)" for c in ("加", r"\+", "➕")),  # 加V ➕薇
    *(rf"{c}(?=\s*[:=])" for c in "微薇"),  # "微：abc123"
]
_WECHAT_RE = re.compile(
    "(?:" + "|".join(_WECHAT_CUES) + ")"
    r"(?:号码|号|id|搜索|搜)?\s*[:=]?\s*"
    r"(?P<id>[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])")
# Every match of _WECHAT_RE starts where `_cues` finds one of these (see _CUE_PATTERNS).
_WECHAT_TOKENS = frozenset(["微", "威", "薇", "维", "徽", "v", "wx", "we", "加", "+", "➕"])
_QQ_RE = re.compile(
    r"(?:q(?<![a-z0-9]q)\s*q|扣\s*扣|抠\s*抠|企\s*鹅|q(?<![a-z0-9]q)(?=\s*[:=]))"
    r"(?:号码|号)?\s*[:=]?\s*"
    rf"(?P<num>{_D}(?:[ \-.]?{_D}){{4,10}})(?!{_D})")
_QQ_TOKENS = frozenset(["q", "扣", "抠", "企"])  # likewise for _QQ_RE
_ZERO, _NONZERO = "[0〇零]", "[2-9二两三四五六七八九贰叁參肆伍陆陸柒捌玖]"
_LOCAL = rf"{_NONZERO}{_D}{{2,3}}[-—\s]?{_D}{{4}}(?!{_D})"  # 6543 2100, 5599-8213
_LANDLINE_RE = re.compile("|".join([
    *(rf"{z}(?<!{_D}{z}){_D}{{2,3}}[-—\s]{_LOCAL}" for z in "0〇零"),  # 0551-65432100
    rf"\((?<!{_D}\(){_ZERO}{_D}{{2,3}}\)\s?{_LOCAL}",  # (0551)65432100
    *(rf"{c}(?<!{_D}{c}){_ZERO}{{2}}[-\s]?{_D}{{3}}[-\s]?{_D}{{4}}(?!{_D})"
      for c in "4四肆8八捌"),  # 400-800-1234
    # 电话：055165432100; one alternative (and group) per cue, so that every alternative starts
    # with a literal and `re` can skip to the positions of those characters
    *(rf"{cue}\s*:?\s*(?P<bare{i}>{_ZERO}{_D}{{9,11}})(?!{_D})"
      for i, cue in enumerate(("电话", "座机", "固话", "tel"))),
]))


def extract_contacts(text: str) -> tuple[Contact, ...]:
    """Mobiles, WeChat ids, QQ numbers and landlines, first occurrence of each key first."""
    folded = _fold(text)
    return _unique(text, _all_contacts(folded, _cues(folded)))


def _unique(text: str, hits: Sequence[tuple[int, int, str, str]]) -> tuple[Contact, ...]:
    if len(hits) == 1:  # the common case
        start, end, kind, value = hits[0]
        return (_new_contact(kind, value, f"{kind}:{value}", start, end, text[start:end]),)
    seen: set[str] = set()
    unique = []
    for start, end, kind, value in hits:
        key = f"{kind}:{value}"
        if key not in seen:
            seen.add(key)
            unique.append(_new_contact(kind, value, key, start, end, text[start:end]))
    return tuple(unique)


_Hit = tuple[int, int, str, str]  # (start, end, kind, value)


def _all_contacts(folded: str, cues: set[str]) -> list[_Hit]:
    """(start, end, kind, value) of every contact occurrence in the folded text, in order;
    `cues` is `_cues(folded)`."""
    # WeChat and QQ first: their cue decides what the digits or letters are.
    found = [] if _WECHAT_TOKENS.isdisjoint(cues) else _wechat_ids(folded)
    if not _QQ_TOKENS.isdisjoint(cues):
        hits = _qq_numbers(folded)
        found += _not_overlapping(hits, found) if found and hits else hits
    hits = _mobiles(folded)
    found += _not_overlapping(hits, found) if found and hits else hits
    hits = _landlines(folded)
    found += _not_overlapping(hits, found) if found and hits else hits
    if len(found) > 1:
        found.sort()
    return found


def _not_overlapping(hits: list[_Hit], taken: list[_Hit]) -> list[_Hit]:
    """The hits that overlap none of `taken` (which do not overlap each other)."""
    if len(hits) * len(taken) <= 64:
        return [hit for hit in hits
                if not any(start < hit[1] and hit[0] < end for start, end, _, _ in taken)]
    spans = _Spans((start, end) for start, end, _, _ in taken)
    return [hit for hit in hits if not spans.overlaps(hit[0], hit[1])]


def _wechat_ids(folded: str) -> list[_Hit]:
    return [(m.start("id"), m.end("id"), "wechat", m["id"]) for m in _WECHAT_RE.finditer(folded)]


_NON_DIGIT_RE = re.compile(r"[^0-9]+")


def _digits(written: str) -> str:
    """The ASCII digits of `written`, digit look-alikes read as digits."""
    if written.isascii():
        return written if written.isdigit() else _NON_DIGIT_RE.sub("", written)
    return _NON_DIGIT_RE.sub("", written.translate(_DIGIT_TABLE))


def _qq_numbers(folded: str) -> list[_Hit]:
    hits = []
    for m in _QQ_RE.finditer(folded):
        number = _digits(m["num"])
        if not number.startswith("0"):
            hits.append((m.start("num"), m.end("num"), "qq", number))
    return hits


def _landlines(folded: str) -> list[_Hit]:
    hits = []
    for m in _LANDLINE_RE.finditer(folded):
        bare = m.lastgroup  # the number after a cue, else None
        start, end = m.span(bare) if bare else m.span()
        written = folded[start:end].replace("-", "")  # as most are written: 0551-65432100
        hits.append((start, end, "phone", written if written.isascii() and written.isdigit()
                     else _digits(written)))
    return hits


# Mobiles found in a run of digits, by run: ads and the sites that copy them repeat their numbers.
_RUN_CACHE: dict[str, tuple[tuple[int, int, str, bool], ...]] = {}


def _mobiles(folded: str) -> list[_Hit]:
    hits = []
    for run in _RUN_RE.finditer(folded):
        segment = run.group()
        found = _RUN_CACHE.get(segment)
        if found is None:
            if len(_RUN_CACHE) >= 4096:
                _RUN_CACHE.clear()
            found = _RUN_CACHE[segment] = _mobiles_in_run(segment)
        base = run.start()
        for start, end, value, prefixed in found:
            start += base
            if prefixed and folded[start - 1:start] == "+":
                start -= 1  # "+86 138…": the span keeps the plus sign
            lo = start - 12 if start > 12 else 0
            label = folded[lo:start]  # every label ends in 号, 证 or 码
            if not (("号" in label or "证" in label or "码" in label)
                    and _NOT_PHONE_RE.search(folded, lo, start)):
                hits.append((start, base + end, "mobile", value))
    return hits


def _mobiles_in_run(segment: str) -> tuple[tuple[int, int, str, bool], ...]:
    """(start, end, 11 digits, +86 written) of each mobile in one run of digits."""
    if segment.isascii():
        if segment.isdigit():  # one group, as most numbers are written
            prefix, value = segment[:-11], segment[-11:]
            if prefix in ("", "86", "0086") and _MOBILE_RE.fullmatch(value):
                return ((0, len(segment), value, bool(prefix)),)
            return ()
        pieces = _SPLIT_RE.split(segment)  # digit groups, each separator between two
        digits = "".join(pieces[::2])
        if len(digits) == 11:  # "138 1234 5678": one number or none
            sizes = [len(group) for group in pieces[::2]]
            if _MOBILE_RE.fullmatch(digits) and (
                    len(sizes) <= 2 or (len(sizes) <= 4 and min(sizes) >= 3)
                    or len(set(pieces[1::2])) == 1):
                return ((0, len(segment), digits, False),)
            return ()
        stream = segment
    else:
        stream = segment.translate(_DIGIT_TABLE)
    groups = _groups(segment, stream)
    found = []
    i = 0
    while i < len(groups):
        hit = _mobile_at(groups, i, stream)
        if hit is None:
            i += 1
            continue
        last, value, prefixed = hit
        found.append((groups[i][0], groups[last][1], value, prefixed))
        i = last + 1
    return tuple(found)


_Group = tuple[int, int, bool]  # (start, end, separated from the previous group): False is a
# switch between 138 and 一二三


def _groups(segment: str, stream: str) -> list[_Group]:
    """Digit groups of a run, also split where Chinese numerals meet ASCII digits, so that
    "一建13812345678" still yields the 11 digits."""
    if stream == segment:  # ASCII digits only: nothing to split
        return [(m.start(), m.end(), True) for m in _DIGITS_RE.finditer(stream)]
    groups = []
    for m in _DIGITS_RE.finditer(stream):
        first, hard = m.start(), True
        for k in range(m.start() + 1, m.end() + 1):
            if k == m.end() or (segment[k] in _CN_NUMERALS) != (segment[first] in _CN_NUMERALS):
                groups.append((first, k, hard))
                first, hard = k, False
    return groups


def _mobile_at(groups: Sequence[_Group], i: int, stream: str) -> tuple[int, str, bool] | None:
    """(last group, 11 digits, +86 written) of a mobile made of whole groups from groups[i]."""
    total = 0
    for j in range(i, len(groups)):
        total += groups[j][1] - groups[j][0]
        if total > 15:
            return None
        if total != 11 and total != 13 and total != 15:
            continue
        digits = "".join([stream[g[0]:g[1]] for g in groups[i:j + 1]])
        prefix, value = digits[:-11], digits[-11:]
        if prefix not in ("", "86", "0086") or not _MOBILE_RE.fullmatch(value):
            continue
        first = i
        if prefix and groups[i][1] - groups[i][0] == len(prefix) and groups[i + 1][2]:
            first = i + 1  # judge "+86 138 1234 5678" by its number's grouping
        if _phone_like(groups, first, j, stream):
            return j, value, bool(prefix)
    return None


def _phone_like(groups: Sequence[_Group], i: int, j: int, stream: str) -> bool:
    """Whether separated groups read as one number: 138 1234 5678 or 1-3-8-…, not a list of
    unrelated numbers that happens to add up to 11 digits."""
    lengths: list[int] = []
    seps: set[str] = set()
    for k in range(i, j + 1):
        start, end, hard = groups[k]
        if k == i or hard:
            if k > i:
                seps.add(stream[groups[k - 1][1]:start])
            lengths.append(end - start)
        else:
            lengths[-1] += end - start
    return len(lengths) <= 2 or (len(lengths) <= 4 and min(lengths) >= 3) or len(seps) == 1


# ----------------------------------------------------------------------- certificates

_GAP_CHARS = " \t*·•_-.~^#|"
# Up to two gap characters between those of a spelling: "一 建", "挂*证". The patterns see
# "•" as "·" (see `_gap_view`): a class of Latin-1 characters compiles to a bitmap a tenth the
# size of one that also holds "•", and the trie repeats the class at every node.
_VIEW_GAP_CHARS = _GAP_CHARS.replace("•", "")
_GAP_DELETE = str.maketrans("", "", _GAP_CHARS)


@dataclass(frozen=True)
class _Family:
    name: str
    context: re.Pattern[str] | None  # specialty spellings that need this family next to them
    context_names: dict[str, str]  # spelling → specialty
    fallback: frozenset[str]  # specialties dropped when another one is found ("一级" vs "土建")
    lasts: frozenset[str] = frozenset()  # last characters of the context spellings
    firsts: frozenset[str] = frozenset()  # and their first characters


@dataclass(frozen=True)
class _CertTable:
    pattern: re.Pattern[str]
    # spelling → (family, specialty); None for an ignore phrase
    entries: dict[str, tuple[str, str | None] | None]
    families: dict[str, _Family]
    gap_view: bool  # the patterns read `_gap_view(folded)` (no spelling holds "•" or "·")
    # spelling → (spelling, family, specialty, whether an end is ASCII (see `_ascii_bounded`),
    # the family's context pattern, its family); None for an ignore phrase
    kinds: dict[str, tuple[str, str, str | None, bool, re.Pattern[str] | None, _Family] | None] = (
        field(default_factory=dict))


def _strip_gaps(matched: str) -> str:
    return matched.translate(_GAP_DELETE)


def _gap_view(folded: str) -> str:
    """`folded` with "•" written "·": the same text to patterns for which both are gaps."""
    return folded.replace("•", "·") if "•" in folded else folded


@cache
def _cert_table() -> _CertTable:
    name = "certificates.yaml"
    data = _load_yaml(name)
    entries: dict[str, tuple[str, str | None] | None] = {}

    def put(spelling: Any, value: tuple[str, str | None] | None, where: str) -> None:
        key = _fold(str(spelling))
        if not key or key in entries:
            raise AttributeTableError(f"{name}: {where}: {spelling!r} is empty or listed twice")
        entries[key] = value

    for phrase in data.get("ignore") or []:
        put(phrase, None, "ignore")
    specs: list[tuple[str, dict[str, str], frozenset[str]]] = []
    for family, spec in (data.get("families") or {}).items():
        if not isinstance(spec, dict):
            raise AttributeTableError(f"{name}: family {family!r} must be a mapping")
        for alias in spec.get("aliases") or []:
            put(alias, (family, None), family)
        for alias, specialty in (spec.get("standalone") or {}).items():
            put(alias, (family, str(specialty)), family)
        context_names = {_fold(str(alias)): str(specialty)
                         for specialty, aliases in (spec.get("specialties") or {}).items()
                         for alias in aliases or []}
        specs.append((family, context_names, frozenset(map(str, spec.get("fallback") or []))))
    gap_view = not any("•" in word or "·" in word
                       for word in [*entries, *(w for _, names, _ in specs for w in names)])
    gap_chars = _VIEW_GAP_CHARS if gap_view else _GAP_CHARS
    gap = "[" + re.escape(gap_chars) + "]{0,2}"
    families = {family: _Family(family, re.compile(_trie_pattern(names, gap)) if names else None,
                                names, fallback, frozenset(word[-1] for word in names),
                                frozenset(word[0] for word in names))
                for family, names, fallback in specs}
    pattern = re.compile(_dispatch_pattern(entries, gap_chars))
    kinds = {key: None if entry is None else (key, *entry, key[0].isascii() or key[-1].isascii(),
                                              families[entry[0]].context, families[entry[0]])
             for key, entry in entries.items()}
    return _CertTable(pattern, entries, families, gap_view, kinds)


def extract_certificates(text: str) -> tuple[Certificate, ...]:
    """Certificate families (with specialty when written), one per (family, specialty)."""
    return _certificates(text, _fold(text))[0]


_UNLISTED: Any = object()
_Found = tuple[int, int, str, str | None]  # (start, end, family, specialty)


def _certificates(text: str, folded: str) -> tuple[tuple[Certificate, ...], list[_Found]]:
    """(unique certificates, every mention sorted) — prices are judged against the latter."""
    table = _cert_table()
    kinds = table.kinds
    if table.gap_view:
        folded = _gap_view(folded)
    mentions = []
    for m in table.pattern.finditer(folded):
        written = m.group()
        kind = kinds.get(written, _UNLISTED)
        if kind is _UNLISTED:
            kind = kinds.get(_strip_gaps(written))
        if kind is not None:
            start, end = m.span()
            if not kind[3] or _ascii_bounded(folded, start, end):
                mentions.append((start, end, kind))
    if not mentions:
        return (), []

    found: list[_Found] = []
    # Identical windows (a megabyte of repeated ads) are read once.
    memo: dict[tuple[str, str, int, int], list[tuple[str, int, int]]] | None = (
        {} if len(mentions) > 8 else None)
    claimed = 0  # specialties before this offset belong to an earlier certificate
    idx, count, size = 0, len(mentions), len(folded)
    while idx < count:
        start, end, (_, name, specialty, _, context, family) = mentions[idx]
        near = None
        if context is not None:
            # Specialties next to the mention, read in a window that stops at the next
            # certificate that is not one of them.
            limit = end + 48 if end + 48 < size else size
            if idx + 1 < count:
                names = family.context_names
                for later in range(idx + 1, count):
                    other = mentions[later]
                    if other[2][0] not in names:
                        if other[0] < limit:
                            limit = other[0]
                        break
            base = start - 14
            if base < claimed:
                base = claimed
            if idx and mentions[idx - 1][1] > base:
                base = mentions[idx - 1][1]
            if memo is None:
                # A specialty after the mention starts within 8 characters of it, one before
                # it ends within 2: without a character that can, there is none to read.
                if not (family.firsts.isdisjoint(folded[end:end + 9 if end + 9 < limit else limit])
                        and family.lasts.isdisjoint(folded[start - 3 if start - 3 > base else base:
                                                           start])):
                    near = _specialties_near(family, folded, base, limit, start, end)
            else:
                memo_key = (name, folded[base:limit], start - base, end - base)
                relative = memo.get(memo_key)
                if relative is None:
                    relative = memo[memo_key] = _specialties_near(
                        family, memo_key[1], 0, limit - base, start - base, end - base)
                near = [(spec, s_start + base, s_end + base)
                        for spec, s_start, s_end in relative]
        if near:
            if specialty is not None:
                found.append((start, end, name, specialty))
            for spec, s_start, s_end in near:
                found.append((s_start if s_start < start else start,
                              s_end if s_end > end else end, name, spec))
                if s_end > claimed:
                    claimed = s_end
        elif count == 1:  # the common case: one mention, one certificate
            return (_new_certificate(name, specialty, start, end, text[start:end]),), [
                (start, end, name, specialty)]
        else:
            found.append((start, end, name, specialty))
        if end > claimed:
            claimed = end
        idx += 1
        while idx < count and mentions[idx][0] < claimed:
            idx += 1  # a specialty read as part of this certificate is not read again
    if len(found) == 1:
        lo, hi, name, spec = found[0]
        return (_new_certificate(name, spec, lo, hi, text[lo:hi]),), found
    found.sort()
    return _dedupe_certificates(text, found, table), found


def _specialties_near(family: _Family, folded: str, lo: int, hi: int, start: int,
                      end: int) -> list[tuple[str, int, int]]:
    """Specialties right after folded[start:end] ("一建市政、机电"), else right before it
    ("市政一建"), read in the window folded[lo:hi]."""
    context, names = family.context, family.context_names
    assert context is not None
    out: list[tuple[str, int, int]] = []
    pos, slack = end, 8  # first specialty within 8 characters, each next one within 3
    while pos < hi:
        stop = pos + slack + 12
        m = context.search(folded, pos, stop if stop < hi else hi)
        if m is None:
            break
        m_start, m_end = m.span()
        if m_start - pos > slack:
            break
        if _ascii_bounded(folded, m_start, m_end, lo, hi):
            spelling = m.group()
            out.append((names.get(spelling) or names[_strip_gaps(spelling)], m_start, m_end))
        pos, slack = m_end, 3
    if out:
        return out
    # The last specialty before the mention counts if it ends within 2 characters of it, so
    # one of those 3 characters must end some spelling.
    if family.lasts.isdisjoint(folded[start - 3 if start - 3 > lo else lo:start]):
        return out
    before = None
    for m in context.finditer(folded, lo, start):
        before = m
    if before is not None and start - before.end() <= 2 and _ascii_bounded(
            folded, before.start(), before.end(), lo, hi):
        spelling = before.group()
        out.append((names.get(spelling) or names[_strip_gaps(spelling)], before.start(),
                    before.end()))
    return out


def _dedupe_certificates(text: str, found: list[_Found],
                         table: _CertTable) -> tuple[Certificate, ...]:
    """One certificate per (family, specialty) of `found`, which is sorted."""
    named: dict[str, set[str]] = {}
    for _, _, family, specialty in found:
        if specialty is not None:
            if family in named:
                named[family].add(specialty)
            else:
                named[family] = {specialty}
    seen: set[tuple[str, str | None]] = set()
    out = []
    for start, end, family, specialty in found:
        specialties = named.get(family)
        if specialty is None:
            if specialties:
                continue  # "一建" once with 市政 and once bare is one certificate
        elif specialty in table.families[family].fallback and not specialties <= (
                table.families[family].fallback):
            continue  # 造价: the discipline says more than the level
        if (family, specialty) not in seen:
            seen.add((family, specialty))
            out.append(_new_certificate(family, specialty, start, end, text[start:end]))
    return tuple(out)


# ----------------------------------------------------------------------------- prices

_ARABIC = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
_CHINESE = (r"[一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾]"
            r"[零〇一二两三四五六七八九十百千点壹贰叁肆伍陆柒捌玖拾佰仟]*")
_NUM = rf"(?:{_ARABIC}|{_CHINESE})"
_FIRST = "[0-9一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾]"
_N1 = (  # a number not glued to a preceding number or word ("v2", "1.5", "一二三"), checked
         # after its first character so that `re` can skip ahead to digits. Arabic digits are
         # taken possessively: a shorter number would be followed by a digit, "," or ".", where
         # neither a range nor a unit can start, so giving some back is wasted work.
    rf"(?P<n1>{_FIRST}(?<![0-9a-z零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟].)"
    r"(?<![0-9][.,].)"
    r"(?:(?<=[0-9])[0-9]*+(?:,[0-9]{3})*+(?:\.[0-9]+)?+"
    r"|(?<![0-9])[零〇一二两三四五六七八九十百千点壹贰叁肆伍陆柒捌玖拾佰仟]*))")
_RANGE = rf"(?:\s*(?P<u1>万|w|千|k)?\s*(?:-|~|—|–|至|到)\s*(?P<n2>{_NUM}))?"
_UNIT = (r"(?:\s*(?P<big>万|w|千|k)"
         r"(?P<tail>(?:[1-9]|[一二两三四五六七八九壹贰叁肆伍陆柒捌玖])[千仟]?"
         r"(?![0-9.年月个次天周人名]))?"
         r"(?:元|块钱|块|rmb)?"
         r"|\s*(?P<small>元|块钱|块|圆|rmb))")
_PRICE_CUES = ("年薪", "月薪", "薪资", "薪酬", "工资", "待遇", "报价", "价格", "价钱", "费用",
               "收费", "售价", "一口价", "挂靠费", "挂证费", "补贴", "年费")
# A cue, then what may stand between it and the bare number that follows it.
_PRICE_CUE_GAP = r"\s*[:为是]?\s*(?:约|仅需|仅|只要|只需)?\s*"
_PRICE_RES = (
    # "3万", "800元", "2-3万"; the lookahead, implied by what follows (a range starts with a
    # unit or a dash, a unit with its character, after spaces), fails most numbers early
    re.compile(_N1 + r"(?=\s*[万w千k\-~—–至到元块圆r])" + _RANGE + _UNIT),
    re.compile(rf"(?P<cur>¥|\$|rmb|人民币)\s*(?P<n1>{_ARABIC}){_RANGE}{_UNIT}?"),  # "¥380"
    re.compile(  # a bare number is money after a cue: "月薪8000", "年薪三千五"
        "(?:" + "|".join(_PRICE_CUES) + ")" + _PRICE_CUE_GAP
        + rf"(?<![0-9])(?P<n1>{_NUM}){_RANGE}{_UNIT}?"),
)
# What each of `_PRICE_RES` cannot match without: a unit, a currency, a cue.
_PRICE_NEEDS = (frozenset(["万", "w", "wx", "we", "千", "k", "元", "块", "圆", "rmb"]),
                frozenset(["¥", "$", "rmb", "人民币"]), frozenset(_PRICE_CUES))
_MULTIPLIER = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000}
_CN_VALUE = {ch: int(d) for ch, d in _CN_NUMERALS.items()}
_CN_UNIT = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
# Counting words after a number without 元: "3万人" is a headcount, not money.
_NOT_MONEY_AFTER = set("人名个家平米方台件份套户条字篇张次亩吨辆")
_PERIOD_AFTER_RE = re.compile(
    r"(一次性)|(?:\s*(?:/|每|一|1)\s*个?\s*|个?)(年|月|次)(?![薪费度底初末性])")
# Only right before the amount ("年薪：3万", "一次性付清5000元"), not the previous amount's.
_PERIOD_BEFORE_RE = re.compile(
    r"(年薪|年费|每年|一年|/年|月薪|月费|每月|一个月|一次性|一口价)[^0-9a-z¥$年月次]{0,3}$")
_PERIODS = {"年": "year", "月": "month", "次": "once", "一次性": "once"}


def extract_prices(text: str) -> tuple[Price, ...]:
    """Every amount of money written in `text`, in order (digits of contacts excluded)."""
    folded = _fold(text)
    cues = _cues(folded)
    return tuple(_price(text, hit) for hit in _prices(folded, _all_contacts(folded, cues), cues))


_PriceHit = tuple[float, str | None, int, int]  # (amount_cny, period, start, end)


def _price(text: str, hit: _PriceHit) -> Price:
    amount, period, start, end = hit
    return _new_price(amount, period, text[start:end], start, end)


def _prices(folded: str, contacts: Sequence[_Hit], cues: set[str]) -> list[_PriceHit]:
    units, currencies, words = _PRICE_NEEDS
    by_unit, by_currency, after_cue = _PRICE_RES
    matches: list[tuple[int, int, re.Match[str]]] = (
        [] if units.isdisjoint(cues) else [(m.start(), 0, m) for m in by_unit.finditer(folded)])
    if not currencies.isdisjoint(cues):
        matches += [(m.start(), 1, m) for m in by_currency.finditer(folded)]
    if not words.isdisjoint(cues):
        matches += [(m.start(), 2, m) for m in after_cue.finditer(folded)]
    if not matches:
        return []
    if len(matches) > 1:
        matches.sort()  # by start; on a tie the earlier pattern first, as `heapq.merge` would
    blocked = _Spans((start, end) for start, end, _, _ in contacts) if len(contacts) > 8 else None
    prices = []
    previous_end = 0
    for _, index, m in matches:
        start = m.start() if index == 1 else m.start("n1")  # after the cue, at the currency
        end = m.end()
        if start < previous_end:
            continue  # "年薪3万" is found by two patterns; keep the first
        if blocked is not None:
            if blocked.overlaps(start, end):
                continue
        elif contacts and _overlaps_any(start, end, contacts):
            continue
        amount = _amount(*m.group("n1", "u1", "big", "tail"), index == 1, folded, end)
        if amount is None:
            continue
        period, end = _period(folded, start, end, previous_end)
        previous_end = end
        prices.append((amount, period, start, end))
    return prices


def _overlaps_any(start: int, end: int, contacts: Sequence[_Hit]) -> bool:
    for c_start, c_end, _, _ in contacts:  # noqa: SIM110 - a loop makes no generator
        if c_start < end and start < c_end:
            return True
    return False


def _amount(n1: str, u1: str | None, big: str | None, tail: str | None, currency: bool,
            folded: str, end: int) -> float | None:
    """The low end in CNY, or None when the match is not money (a headcount, "一块儿" …)."""
    chinese = not n1[0].isdigit()
    low = _number(n1)
    after = folded[end:end + 1]
    glued_letter = big in ("w", "k") and after.isascii() and after.isalpha()  # "5kg"
    if folded[end - 1] not in "元块b" and (after in _NOT_MONEY_AFTER or glued_letter):
        return None  # "3万人", "价格：10人以下"
    if big:
        amount = low * _MULTIPLIER[u1 or big]
        if tail:  # "3万5" = 35000, "三千五" = 3500, "三万五千" = 35000
            amount += _number(tail.rstrip("千仟")) * (
                1000 if tail.endswith(("千", "仟")) or big in "万w" else 100)
    elif currency and chinese:
        return None
    else:  # 元/块, a currency sign, or a cue
        amount = low * (_MULTIPLIER[u1] if u1 else 1)
    if amount <= 0 or (chinese and amount < 10):
        return None  # "一块儿" (together) is not one yuan
    return float(amount)


def _number(written: str) -> float:
    if written[0].isdigit():
        return float(written.replace(",", ""))
    whole, _, fraction = written.partition("点")
    total, digit, unit, zero = 0, None, 0, False
    for char in whole:
        if char in "零〇":
            zero = True
        elif char in _CN_VALUE:
            if digit is None:  # "两三千": a colloquial range, keep the low end
                digit = _CN_VALUE[char]
        elif char in _CN_UNIT:
            unit = _CN_UNIT[char]
            total += (1 if digit is None else digit) * unit
            digit, zero = None, False
    if digit is not None:  # "三千五" = 3500 but "三千零五" = 3005
        total += digit * (unit // 10 if unit >= 100 and not zero else 1)
    decimals = "".join(str(_CN_VALUE[c]) for c in fraction if c in _CN_VALUE)
    return total + (float("0." + decimals) if decimals else 0.0)


def _period(folded: str, start: int, end: int, floor: int) -> tuple[str | None, int]:
    """(period, end including a written period such as "/年") for the amount at start:end;
    a cue before it is looked for after `floor`, the end of the previous amount."""
    after = _PERIOD_AFTER_RE.match(folded, end)
    if after:
        return _PERIODS[after[1] or after[2]], after.end()
    before = _PERIOD_BEFORE_RE.search(folded, max(floor, start - 10), start)
    if before is None:
        return None, end
    cue = before[1]
    return ("year" if "年" in cue else "month" if "月" in cue else "once"), end


def _salient(prices: Sequence[_PriceHit], mentions: Sequence[_Found]) -> _PriceHit:
    """The price an analyst would quote: the first within 60 characters of a certificate
    mention that has a period ("二建 年薪3万", not the "报名费300元" before it), else the first
    near a certificate, else the first with a period, else the first. `prices` is not empty;
    `mentions` are sorted."""
    if len(prices) == 1:
        return prices[0]
    starts = [start for start, _, _, _ in mentions]
    near: _PriceHit | None = None
    with_period: _PriceHit | None = None
    for price in prices:
        _, period, p_start, p_end = price
        i = bisect.bisect_right(starts, p_end + 60)
        if any(start - 60 <= p_start and p_end <= end + 60
               for start, end, _, _ in mentions[max(0, i - 3):i]):
            if period:
                return price
            near = near or price
        with_period = with_period or (price if period else None)
    return near or with_period or prices[0]


# -------------------------------------------------------------------------------- cues

# One scan tells which of the cue-led patterns can match at all: each of them is tried only
# when `_cues` finds a token it cannot match without (`_WECHAT_TOKENS`, `_QQ_TOKENS`,
# `_PRICE_NEEDS`). A token is the text its pattern here matches; a lookahead narrows a common
# character down to where a cue may follow it. No token holds, after its first character, the
# first character of a token of another kind, so none hides another; "wx" and "we" are also
# the unit "w" ("5w").
_CUE_PATTERNS = [
    *(rf"{c}(?=\s*[*_.\-]?\s*[信❤♥])" for c in "威维徽"),
    *(rf"{c}(?=\s*[*_.\-]?\s*[信❤♥]|\s*[:=])" for c in "微薇"),
    *(rf"{c}(?=\s*[vw微薇威])" for c in ("加", r"\+", "➕")),
    "v", "wx", "we",
    "q", r"扣(?=\s*扣)", r"抠(?=\s*抠)", r"企(?=\s*鹅)",
    *(re.escape(token) for token in sorted((_PRICE_NEEDS[0] | _PRICE_NEEDS[1]) - {"wx", "we"},
                                           key=lambda token: (-len(token), token))),
    # a cue counts where a number may follow it
    *(f"{cue}(?={_PRICE_CUE_GAP}{_FIRST})" for cue in _PRICE_CUES),
]
_CUES_RE = re.compile("|".join(_CUE_PATTERNS))  # each starts with a literal: `re` skips to them
_PRICE_CUES_ANY = frozenset().union(*_PRICE_NEEDS)


def _cues(folded: str) -> set[str]:
    """The tokens of `_CUE_PATTERNS` in the folded text."""
    return set(_CUES_RE.findall(folded))


# ---------------------------------------------------------------------------- regions

@dataclass(frozen=True)
class _RegionTable:
    pattern: re.Pattern[str]
    places: dict[str, tuple[str, str | None]]  # spelling → (province, city or None)
    not_before: re.Pattern[str]
    # the first characters of the not_before words; None when one is empty (matches anywhere)
    not_before_first: frozenset[str] | None = None


@cache
def _region_table() -> _RegionTable:
    name = "regions.yaml"
    data = _load_yaml(name)
    require_full = set(map(str, data.get("require_full") or []))
    places: dict[str, tuple[str, str | None]] = {}

    def put(spelling: str, place: tuple[str, str | None]) -> None:
        if spelling in places:
            raise AttributeTableError(f"{name}: {spelling!r} names two places; add it to "
                                      "require_full or drop one spelling")
        places[spelling] = place

    for entry in data.get("provinces") or []:
        if not isinstance(entry, dict) or "name" not in entry:
            raise AttributeTableError(f"{name}: province entry {entry!r} needs a name")
        province = str(entry["name"])
        for spelling in [province, *map(str, entry.get("aliases") or [])]:
            put(spelling, (province, None))
        for city in entry.get("cities") or []:
            spellings = str(city).split()
            short = spellings[0]
            if len(spellings) == 1:
                spellings.append(short + "市")
            for spelling in spellings:
                if spelling != short or short not in require_full:
                    put(spelling, (province, short))
    words = [str(word) for word in data.get("not_before") or []]
    not_before = "|".join(map(re.escape, words)) or "(?!)"
    first = None if "" in words else frozenset(word[0] for word in words)
    return _RegionTable(re.compile(_dispatch_pattern(places)), places, re.compile(not_before),
                        first)


def extract_region(text: str) -> str | None:
    """The "省·市" (or province alone) most mentioned in `text`; ties go to the earliest."""
    return _region(_fold(text))


def _region(folded: str) -> str | None:
    table = _region_table()
    first = table.not_before_first
    found = []
    for m in table.pattern.finditer(folded):
        end = m.end()
        if (first is None or folded[end:end + 1] in first) and table.not_before.match(folded,
                                                                                      end):
            continue  # "北京路", "中山大学"
        found.append(table.places[m.group()])
    if len(found) < 2:
        if not found:
            return None
        province, city = found[0]
        return province if city is None else f"{province}·{city}"
    province_hits: dict[str, int] = {}
    city_hits: dict[tuple[str, str], int] = {}
    for province, city in found:
        province_hits[province] = province_hits.get(province, 0) + 1
        if city is not None:
            city_hits[(province, city)] = city_hits.get((province, city), 0) + 1
    # dicts keep first-seen order and max() keeps the first of equals: ties go to the earliest.
    province = max(province_hits, key=lambda p: province_hits[p])
    cities = {c: n for (p, c), n in city_hits.items() if p == province}
    if not cities:
        return province
    return f"{province}·{max(cities, key=lambda c: cities[c])}"
