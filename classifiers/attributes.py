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
import heapq
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

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


def attribute_source(text: str, title: str = "") -> str:
    """The string `extract_attributes` reads and its spans index."""
    return f"{title}\n{text}" if title else text


def extract_attributes(text: str, title: str = "") -> Attributes:
    """All attributes of one ad; spans index ``attribute_source(text, title)``."""
    source = attribute_source(text, title)
    if not source.strip():
        return Attributes()
    certificates, mentions = _certificates(source)
    occurrences = _all_contacts(source)
    price = _salient(_prices(source, occurrences), mentions)
    return Attributes(certificates, _unique(source, occurrences), price, extract_region(source))


# ---------------------------------------------------------------------------- folding

# Traditional forms of characters in certificate, region and money words (掛證, 兩萬).
_SIMPLIFIED = dict(zip(
    "級證築師監價設計冊電銲機業員備種書處構結氣給號壓險環礦鐵車駕裝資質勞務標準測繪詢諮門廣東開發"
    "變輸動煉屬爐職稱類專陸鍋試關續費練際區單萬塊圓兩貳",
    "级证筑师监价设计册电焊机业员备种书处构结气给号压险环矿铁车驾装资质劳务标准测绘询咨门广东开发"
    "变输动炼属炉职称类专陆锅试关续费练际区单万块圆两贰", strict=True))


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight: NFKC, lower case, simplified form; kept only
    when NFKC gives one character (so "⑩" → "10" is refused) to keep every original offset."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        out = unicodedata.normalize("NFKC", char).lower()
        out = _SIMPLIFIED.get(out, out) if len(out) == 1 else char
        self[codepoint] = out
        return out


_FOLD = _FoldTable()


@lru_cache(maxsize=4)
def _fold(text: str) -> str:
    """Fold with the original's length: full-width → ASCII, ① → 1, Ｗ → w, 證 → 证."""
    return text.translate(_FOLD)


def _trie_pattern(words: Iterable[str], gap: str = "") -> str:
    """One regex for many literal words, shared prefixes factored out so a scan over a
    megabyte is not a per-position walk over every alternative; optional groups are greedy,
    so the longest word wins. `gap` is allowed between the characters of a word."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any], depth: int) -> str:
        branches = [re.escape(ch) + build(child, depth + 1)
                    for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if depth:
            body = gap + body
        return f"(?:{body})?" if "" in node else body

    return build(trie, 0)


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


def _ascii_bounded(folded: str, start: int, end: int) -> bool:
    """An alias that begins or ends in a letter/digit must not run into one ("2j" ≠ "12j")."""
    if not (folded[start].isascii() or folded[end - 1].isascii()):
        return True  # the common case: a Chinese word

    def alnum(i: int) -> bool:
        return 0 <= i < len(folded) and folded[i].isascii() and folded[i].isalnum()
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
_RUN_RE = re.compile(rf"{_D}(?:{_SEP}{{0,4}}{_D}){{10,}}")  # ≥ 11 digits, loosely joined
_DIGITS_RE = re.compile(r"[0-9]+")
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
_QQ_RE = re.compile(
    r"(?:q(?<![a-z0-9]q)\s*q|扣\s*扣|抠\s*抠|企\s*鹅|q(?<![a-z0-9]q)(?=\s*[:=]))"
    r"(?:号码|号)?\s*[:=]?\s*"
    rf"(?P<num>{_D}(?:[ \-.]?{_D}){{4,10}})(?!{_D})")
_ZERO, _NONZERO = "[0〇零]", "[2-9二两三四五六七八九贰叁參肆伍陆陸柒捌玖]"
_LOCAL = rf"{_NONZERO}{_D}{{2,3}}[-—\s]?{_D}{{4}}(?!{_D})"  # 6543 2100, 5599-8213
_LANDLINE_RE = re.compile("|".join([
    *(rf"{z}(?<!{_D}{z}){_D}{{2,3}}[-—\s]{_LOCAL}" for z in "0〇零"),  # 0551-65432100
    rf"\((?<!{_D}\(){_ZERO}{_D}{{2,3}}\)\s?{_LOCAL}",  # (0551)65432100
    *(rf"{c}(?<!{_D}{c}){_ZERO}{{2}}[-\s]?{_D}{{3}}[-\s]?{_D}{{4}}(?!{_D})"
      for c in "4四肆8八捌"),  # 400-800-1234
    rf"(?:电话|座机|固话|tel)\s*:?\s*(?P<bare>{_ZERO}{_D}{{9,11}})(?!{_D})",  # 电话：055165432100
]))


class _Group(NamedTuple):
    start: int
    end: int
    hard: bool  # separated from the previous group (False: a switch between 138 and 一二三)


def extract_contacts(text: str) -> tuple[Contact, ...]:
    """Mobiles, WeChat ids, QQ numbers and landlines, first occurrence of each key first."""
    return _unique(text, _all_contacts(text))


def _unique(text: str, hits: Iterable[tuple[int, int, str, str]]) -> tuple[Contact, ...]:
    seen: set[str] = set()
    unique = []
    for start, end, kind, value in hits:
        key = f"{kind}:{value}"
        if key not in seen:
            seen.add(key)
            unique.append(Contact(kind, value, key, start, end, text[start:end]))
    return tuple(unique)


def _all_contacts(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, value) of every contact occurrence, in text order."""
    folded = _fold(text)
    taken = _Spans()
    found: list[tuple[int, int, str, str]] = []
    # WeChat and QQ first: their cue decides what the digits or letters are.
    for kind, hits in (("wechat", _wechat_ids(folded)), ("qq", _qq_numbers(folded)),
                       ("mobile", _mobiles(folded)), ("phone", _landlines(folded))):
        new = [(start, end, kind, value) for start, end, value in hits
               if not taken.overlaps(start, end)]
        taken.update((start, end) for start, end, _, _ in new)
        found += new
    return sorted(found)


def _wechat_ids(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _WECHAT_RE.finditer(folded):
        yield m.start("id"), m.end("id"), m["id"]


def _qq_numbers(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _QQ_RE.finditer(folded):
        number = re.sub(r"[^0-9]", "", m["num"].translate(_DIGIT_TABLE))
        if not number.startswith("0"):
            yield m.start("num"), m.end("num"), number


def _landlines(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _LANDLINE_RE.finditer(folded):
        start, end = m.span("bare") if m["bare"] else m.span()
        yield start, end, re.sub(r"[^0-9]", "", folded[start:end].translate(_DIGIT_TABLE))


def _mobiles(folded: str) -> Iterator[tuple[int, int, str]]:
    seen: dict[str, list[tuple[int, int, str, bool]]] = {}  # ads repeat their numbers
    for run in _RUN_RE.finditer(folded):
        segment = run.group()
        if segment not in seen:
            seen[segment] = list(_mobiles_in_run(segment))
        for start, end, value, prefixed in seen[segment]:
            start, end = run.start() + start, run.start() + end
            if prefixed and folded[start - 1:start] == "+":
                start -= 1  # "+86 138…": the span keeps the plus sign
            if not _NOT_PHONE_RE.search(folded, max(0, start - 12), start):
                yield start, end, value


def _mobiles_in_run(segment: str) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, 11 digits, +86 written) of each mobile in one run of digits."""
    stream = segment.translate(_DIGIT_TABLE)
    groups = _groups(segment, stream)
    i = 0
    while i < len(groups):
        hit = _mobile_at(groups, i, stream)
        if hit is None:
            i += 1
            continue
        last, value, prefixed = hit
        yield groups[i].start, groups[last].end, value, prefixed
        i = last + 1


def _groups(segment: str, stream: str) -> list[_Group]:
    """Digit groups of a run, also split where Chinese numerals meet ASCII digits, so that
    "一建13812345678" still yields the 11 digits."""
    if stream == segment:  # ASCII digits only: nothing to split
        return [_Group(m.start(), m.end(), True) for m in _DIGITS_RE.finditer(stream)]
    groups = []
    for m in _DIGITS_RE.finditer(stream):
        first, hard = m.start(), True
        for k in range(m.start() + 1, m.end() + 1):
            if k == m.end() or (segment[k] in _CN_NUMERALS) != (segment[first] in _CN_NUMERALS):
                groups.append(_Group(first, k, hard))
                first, hard = k, False
    return groups


def _mobile_at(groups: Sequence[_Group], i: int, stream: str) -> tuple[int, str, bool] | None:
    """(last group, 11 digits, +86 written) of a mobile made of whole groups from groups[i]."""
    total = 0
    for j in range(i, len(groups)):
        total += groups[j].end - groups[j].start
        if total > 15:
            return None
        if total not in (11, 13, 15):
            continue
        digits = "".join(stream[g.start:g.end] for g in groups[i:j + 1])
        prefix, value = digits[:-11], digits[-11:]
        if prefix not in ("", "86", "0086") or not _MOBILE_RE.fullmatch(value):
            continue
        first = i
        if prefix and groups[i].end - groups[i].start == len(prefix) and groups[i + 1].hard:
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
        size = groups[k].end - groups[k].start
        if k == i or groups[k].hard:
            if k > i:
                seps.add(stream[groups[k - 1].end:groups[k].start])
            lengths.append(size)
        else:
            lengths[-1] += size
    return len(lengths) <= 2 or (len(lengths) <= 4 and min(lengths) >= 3) or len(seps) == 1


# ----------------------------------------------------------------------- certificates

_GAP_CHARS = " \t*·•_-.~^#|"
_GAP = "[" + re.escape(_GAP_CHARS) + "]{0,2}"  # "一 建", "挂*证"


@dataclass(frozen=True)
class _Family:
    name: str
    context: re.Pattern[str] | None  # specialty spellings that need this family next to them
    context_names: dict[str, str]  # spelling → specialty
    fallback: frozenset[str]  # specialties dropped when another one is found ("一级" vs "土建")


@dataclass(frozen=True)
class _CertTable:
    pattern: re.Pattern[str]
    # spelling → (family, specialty); None for an ignore phrase
    entries: dict[str, tuple[str, str | None] | None]
    families: dict[str, _Family]


def _strip_gaps(matched: str) -> str:
    return "".join(ch for ch in matched if ch not in _GAP_CHARS)


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
    families: dict[str, _Family] = {}
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
        context = re.compile(_trie_pattern(context_names, _GAP)) if context_names else None
        families[family] = _Family(family, context, context_names,
                                   frozenset(map(str, spec.get("fallback") or [])))
    pattern = re.compile(_trie_pattern(entries, _GAP))
    return _CertTable(pattern, entries, families)


def extract_certificates(text: str) -> tuple[Certificate, ...]:
    """Certificate families (with specialty when written), one per (family, specialty)."""
    return _certificates(text)[0]


class _Mention(NamedTuple):
    start: int
    end: int
    key: str  # the spelling matched, gaps removed
    family: str
    specialty: str | None


def _certificates(text: str) -> tuple[tuple[Certificate, ...], list[tuple[int, int]]]:
    """(unique certificates, span of every mention) — prices are judged against the latter."""
    table = _cert_table()
    folded = _fold(text)
    mentions = []
    for m in table.pattern.finditer(folded):
        key = m.group()
        if key not in table.entries:
            key = _strip_gaps(key)
        entry = table.entries.get(key)
        if entry is not None and _ascii_bounded(folded, m.start(), m.end()):
            mentions.append(_Mention(m.start(), m.end(), key, *entry))

    found: list[tuple[int, int, str, str | None]] = []
    memo: dict[tuple[str, str, int, int], list[tuple[str, int, int]]] = {}
    claimed = 0  # specialties before this offset belong to an earlier certificate
    idx = 0
    while idx < len(mentions):
        mention = mentions[idx]
        family = table.families[mention.family]
        specialties = _context_specialties(family, folded, mentions, idx, claimed, memo)
        if mention.specialty is not None:
            specialties.insert(0, (mention.specialty, mention.start, mention.end))
        for name, s_start, s_end in specialties or [(None, mention.start, mention.end)]:
            lo, hi = min(mention.start, s_start), max(mention.end, s_end)
            found.append((lo, hi, mention.family, name))
            claimed = max(claimed, hi)
        idx += 1
        while idx < len(mentions) and mentions[idx].start < claimed:
            idx += 1  # a specialty read as part of this certificate is not read again
    return _dedupe_certificates(text, found, table), sorted((lo, hi) for lo, hi, _, _ in found)


def _context_specialties(family: _Family, folded: str, mentions: Sequence[_Mention], idx: int,
                         claimed: int,
                         memo: dict[tuple[str, str, int, int], list[tuple[str, int, int]]],
                         ) -> list[tuple[str, int, int]]:
    """Specialties next to mentions[idx], read in a window that stops at the next certificate
    that is not one of them; `memo` maps identical windows (ads repeat) to one reading."""
    if family.context is None:
        return []
    start, end = mentions[idx].start, mentions[idx].end
    limit = len(folded)
    for later in range(idx + 1, len(mentions)):
        if mentions[later].key not in family.context_names:
            limit = mentions[later].start
            break
    lo = max(claimed, mentions[idx - 1].end if idx else 0, start - 14)
    window = folded[lo:min(limit, end + 48)]
    key = (family.name, window, start - lo, end - lo)
    if key not in memo:
        memo[key] = _specialties_near(family, window, start - lo, end - lo)
    return [(name, lo + s_start, lo + s_end) for name, s_start, s_end in memo[key]]


def _specialties_near(family: _Family, window: str, start: int,
                      end: int) -> list[tuple[str, int, int]]:
    """Specialties right after window[start:end] ("一建市政、机电"), else right before it
    ("市政一建")."""
    assert family.context is not None
    out: list[tuple[str, int, int]] = []
    pos, slack = end, 8  # first specialty within 8 characters, each next one within 3
    while pos < len(window):
        m = family.context.search(window, pos, pos + slack + 12)
        if m is None or m.start() - pos > slack:
            break
        if _ascii_bounded(window, m.start(), m.end()):
            out.append((family.context_names[_strip_gaps(m.group())], m.start(), m.end()))
        pos, slack = m.end(), 3
    if out:
        return out
    before = None
    for m in family.context.finditer(window, 0, start):
        before = m
    if before is not None and start - before.end() <= 2 and _ascii_bounded(
            window, before.start(), before.end()):
        out.append((family.context_names[_strip_gaps(before.group())], before.start(),
                    before.end()))
    return out


def _dedupe_certificates(text: str, found: list[tuple[int, int, str, str | None]],
                         table: _CertTable) -> tuple[Certificate, ...]:
    named: dict[str, set[str]] = {}
    for _, _, family, specialty in found:
        if specialty is not None:
            named.setdefault(family, set()).add(specialty)
    seen: set[tuple[str, str | None]] = set()
    out = []
    for start, end, family, specialty in sorted(found):
        specialties = named.get(family, set())
        fallback = table.families[family].fallback
        if specialty is None and specialties:
            continue  # "一建" once with 市政 and once bare is one certificate
        if specialty in fallback and specialties - fallback:
            continue  # 造价: the discipline says more than the level
        if (family, specialty) not in seen:
            seen.add((family, specialty))
            out.append(Certificate(family, specialty, start, end, text[start:end]))
    return tuple(out)


# ----------------------------------------------------------------------------- prices

_ARABIC = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
_CHINESE = (r"[一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾]"
            r"[零〇一二两三四五六七八九十百千点壹贰叁肆伍陆柒捌玖拾佰仟]*")
_NUM = rf"(?:{_ARABIC}|{_CHINESE})"
_FIRST = "[0-9一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾]"
_N1 = (  # a number not glued to a preceding number or word ("v2", "1.5", "一二三"), checked
         # after its first character so that `re` can skip ahead to digits
    rf"(?P<n1>{_FIRST}(?<![0-9a-z零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟].)"
    r"(?<![0-9][.,].)"
    r"(?:(?<=[0-9])[0-9]*(?:,[0-9]{3})*(?:\.[0-9]+)?"
    r"|(?<![0-9])[零〇一二两三四五六七八九十百千点壹贰叁肆伍陆柒捌玖拾佰仟]*))")
_RANGE = rf"(?:\s*(?P<u1>万|w|千|k)?\s*(?:-|~|—|–|至|到)\s*(?P<n2>{_NUM}))?"
_UNIT = (r"(?:\s*(?P<big>万|w|千|k)"
         r"(?P<tail>(?:[1-9]|[一二两三四五六七八九壹贰叁肆伍陆柒捌玖])[千仟]?"
         r"(?![0-9.年月个次天周人名]))?"
         r"(?:元|块钱|块|rmb)?"
         r"|\s*(?P<small>元|块钱|块|圆|rmb))")
_PRICE_RES = (
    re.compile(_N1 + _RANGE + _UNIT),  # "3万", "800元", "2-3万"
    re.compile(rf"(?P<cur>¥|\$|rmb|人民币)\s*(?P<n1>{_ARABIC}){_RANGE}{_UNIT}?"),  # "¥380"
    re.compile(  # a bare number is money after a cue: "月薪8000", "年薪三千五"
        r"(?:年薪|月薪|薪资|薪酬|工资|待遇|报价|价格|价钱|费用|收费|售价|一口价|挂靠费|挂证费"
        r"|补贴|年费)\s*[:为是]?\s*(?:约|仅需|仅|只要|只需)?\s*"
        rf"(?<![0-9])(?P<n1>{_NUM}){_RANGE}{_UNIT}?"),
)
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
    return tuple(_prices(text, _all_contacts(text)))


def _prices(text: str, contacts: Iterable[tuple[int, int, str, str]]) -> Iterator[Price]:
    folded = _fold(text)
    blocked = _Spans((start, end) for start, end, _, _ in contacts)
    previous_end = 0
    scans = (pattern.finditer(folded) for pattern in _PRICE_RES)
    for m in heapq.merge(*scans, key=lambda m: m.start()):
        groups = m.groupdict()
        start = m.start("cur") if groups.get("cur") else m.start("n1")
        if start < previous_end or blocked.overlaps(start, m.end()):
            continue  # "年薪3万" is found by two patterns; keep the first
        amount = _amount(groups, folded, m.end())
        if amount is None:
            continue
        period, end = _period(folded, start, m.end(), previous_end)
        previous_end = end
        yield Price(amount, period, text[start:end], start, end)


def _amount(groups: dict[str, str | None], folded: str, end: int) -> float | None:
    """The low end in CNY, or None when the match is not money (a headcount, "一块儿" …)."""
    n1, u1, big, tail = str(groups["n1"]), groups["u1"], groups["big"], groups["tail"]
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
    elif groups.get("cur") and chinese:
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


def _salient(prices: Iterable[Price], mentions: Sequence[tuple[int, int]]) -> Price | None:
    """The price an analyst would quote: the first within 60 characters of a certificate
    mention that has a period ("二建 年薪3万", not the "报名费300元" before it), else the first
    near a certificate, else the first with a period, else the first. `mentions` are sorted."""
    starts = [start for start, _ in mentions]
    near = with_period = first = None
    for price in prices:
        i = bisect.bisect_right(starts, price.end + 60)
        if any(start - 60 <= price.start and price.end <= end + 60
               for start, end in mentions[max(0, i - 3):i]):
            if price.period:
                return price
            near = near or price
        first = first or price
        with_period = with_period or (price if price.period else None)
    return near or with_period or first


# ---------------------------------------------------------------------------- regions

@dataclass(frozen=True)
class _RegionTable:
    pattern: re.Pattern[str]
    places: dict[str, tuple[str, str | None]]  # spelling → (province, city or None)
    not_before: re.Pattern[str]


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
    not_before = "|".join(map(re.escape, data.get("not_before") or [])) or "(?!)"
    return _RegionTable(re.compile(_trie_pattern(places)), places, re.compile(not_before))


def extract_region(text: str) -> str | None:
    """The "省·市" (or province alone) most mentioned in `text`; ties go to the earliest."""
    table = _region_table()
    folded = _fold(text)
    province_hits: dict[str, int] = {}
    city_hits: dict[tuple[str, str], int] = {}
    for m in table.pattern.finditer(folded):
        if table.not_before.match(folded, m.end()):
            continue  # "北京路", "中山大学"
        province, city = table.places[m.group()]
        province_hits[province] = province_hits.get(province, 0) + 1
        if city is not None:
            city_hits[(province, city)] = city_hits.get((province, city), 0) + 1
    if not province_hits:
        return None
    # dicts keep first-seen order and max() keeps the first of equals: ties go to the earliest.
    province = max(province_hits, key=lambda p: province_hits[p])
    cities = {c: n for (p, c), n in city_hits.items() if p == province}
    if not cities:
        return province
    return f"{province}·{max(cities, key=lambda c: cities[c])}"
