"""Fold the evasion tricks of Chinese ads into plain text, keeping an exact map to the original.

normalize() runs a fixed series of stages over the text. Each stage edits the text through
`_apply`, which carries a run-length map along: where each output character starts and ends in
the original. So any n-gram the classifier finds in the normalised text can be shown in the
original, obfuscated form ("掛 證" for 挂证, "gua证" for 挂证).

Stages, in order:
1. characters: char_map, NFKC, lower case, traditional → simplified (OpenCC per character),
   lookalike variants; emoji, variation selectors, control/format characters and lone
   surrogates dropped;
2. confusables: Cyrillic/Greek letters that pass for Latin inside Latin or CJK context;
3. separators between two CJK characters, or a CJK character and an alias token ("包*过");
4. contact-number runs: Chinese numerals → digits, splits removed ("一三八 一二三四 五六七八");
5. whitespace runs → one space, ends stripped;
6. aliases (homophones, lookalikes, pinyin, letters), longest match first, repeated while a
   fold reveals another (layered tricks: "gua征" → 挂征 → 挂证);
7. contextual aliases (folds that are also ordinary words elsewhere, e.g. 威信).

Every table lives in classifiers/data/*.yaml; this module only compiles them (once per process,
see load_tables). Each stage is a compiled regex or str.translate plus Python work proportional
to the number of edits, never to the text length, so a 1 MB ad normalises in well under a second.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
ALIASES_FILE = DATA_DIR / "aliases.yaml"
CHARACTERS_FILE = DATA_DIR / "characters.yaml"

# Han ideographs (BMP blocks, compatibility ideographs, extensions B–H) and 〇.
CJK_CLASS = "\\u3007\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\U00020000-\\U0003134f"
_CJK_RE = re.compile(f"[{CJK_CLASS}]")
# A Latin alias token must not be glued to other letters/digits, nor sit inside a URL, an email
# address or a handle ("gzjs.gov.cn", "wx_abc").
_TOKEN_BEFORE = "a-z0-9./@_\\-"
_KEEP_CONTROLS = frozenset(" \t\n\r\f\v\x85")
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_MAX_LAZY_CACHE = 200_000  # non-BMP characters mapped on demand; bounded against odd input


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus, per character, where it came from in `original`."""

    original: str
    text: str
    # len(text)+1 entries: offsets[i] = index in `original` where text[i] came from;
    # offsets[len(text)] = len(original). Non-decreasing.
    offsets: tuple[int, ...]
    # The run-length map the offsets were expanded from; lets span() end where the last
    # character's source ends (not at the next one's start, past a dropped separator).
    # Optional, so a Normalized can be built from the three public fields alone.
    runs: _Runs | None = field(default=None, repr=False, compare=False)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) covering normalised [start, end): whole source characters."""
        n = len(self.text)
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        lo = self.offsets[start]
        if end == start:
            return lo, lo
        hi = self.runs.end_of(end - 1) if self.runs is not None else self.offsets[end]
        return lo, max(lo, hi)


@dataclass(frozen=True)
class _Contextual:
    to: str
    near: re.Pattern[str] | None
    window: int
    not_next: frozenset[str]


@dataclass
class Tables:
    """Everything compiled from the YAML data; built once per process by load_tables()."""

    t2s_source: str                       # "opencc <version>" or "characters.yaml"
    fingerprint: str  # SHA-256 of the YAML + t2s_source; a trained model depends on it
    one_to_one: dict[int, int]            # str.translate table: BMP chars mapping to one char
    special_re: re.Pattern[str]           # chars whose mapping is not exactly one char
    special_map: dict[str, str]           # their mapping (non-BMP filled on demand)
    char_fn: Callable[[str], str]         # ch -> mapped str, for characters not yet cached
    confusables: dict[int, int]
    confusable_re: re.Pattern[str] | None
    confusable_run_re: re.Pattern[str] | None
    kana: dict[str, str]
    kana_re: re.Pattern[str] | None
    separator_re: re.Pattern[str]
    token_separator_re: re.Pattern[str] | None
    phone_re: re.Pattern[str]
    phone_part_re: re.Pattern[str]        # inside a phone run: (numerals)|(separators)
    numeral_run_re: re.Pattern[str]
    numeral_table: dict[int, int]         # str.translate: numeral -> ASCII digit
    alias_re: re.Pattern[str] | None
    aliases: dict[str, str]
    contextual_re: re.Pattern[str] | None
    contextual: dict[str, _Contextual]
    # Exposed for the augmenter and the tests.
    simplified_to_traditional: dict[str, str]
    alias_groups: dict[str, list[str]]    # canonical -> raw variants (unconditional only)
    numerals: dict[str, str]              # digit -> Chinese numerals that read as it
    numeral_units: str
    numeral_prefixes: str
    augment: dict[str, Any]
    char_map: dict[str, str]
    # one_to_one by character, and those of its characters whose result it maps again (for
    # which replacing one character after another would differ from one translation).
    one_to_one_chars: dict[str, str] = field(default_factory=dict)
    one_to_one_chained: frozenset[str] = frozenset()
    one_to_one_re: re.Pattern[str] | None = None  # any character of one_to_one


# --------------------------------------------------------------------------------------------
# Loading

def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def _char_class(chars: Iterable[str]) -> str:
    """A regex character class body (no brackets) matching exactly `chars`, as ranges."""
    cps = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}")
        i = j + 1
    return "".join(parts)


def _load_t2s(traditional: dict[str, str]) -> tuple[dict[str, str], str, Any]:
    """Traditional → simplified per character: OpenCC if installed, else the YAML table."""
    fallback = {t: s for s, t in traditional.items()}
    try:
        import opencc
    except ImportError:
        logger.warning("OpenCC is not installed: traditional characters are folded with the "
                       "%d-character table in %s only", len(fallback), CHARACTERS_FILE.name)
        return fallback, CHARACTERS_FILE.name, None
    converter = opencc.OpenCC("t2s")
    # One call over every BMP ideograph, "\n"-separated so no phrase spans two characters;
    # only 1:1 results are kept so offsets stay exact.
    source = [chr(c) for r in ((0x3400, 0x4DC0), (0x4E00, 0xA000)) for c in range(*r)]
    converted = converter.convert("\n".join(source)).split("\n")
    table = dict(fallback)
    if len(converted) == len(source):
        table.update({s: c for s, c in zip(source, converted, strict=True)
                      if c != s and len(c) == 1})
    else:  # never seen; per character is slower but still right
        for s in source:
            c = converter.convert(s)
            if c != s and len(c) == 1:
                table[s] = c
    version = getattr(opencc, "__version__", "")
    return table, f"opencc {version}".strip(), converter


def _build_char_fn(char_map: dict[str, str], drop_ranges: list[tuple[int, int]],
                   t2s: dict[str, str], variants: dict[str, str],
                   converter: Any) -> Callable[[str], str]:
    """The full per-character mapping of stage 1, as a function of one character."""
    drop_re = re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in drop_ranges) + "]")
    category = unicodedata.category

    def dropped(c: str) -> bool:
        if c in _KEEP_CONTROLS:
            return False
        return category(c) in _DROP_CATEGORIES or drop_re.match(c) is not None

    def simplify(c: str) -> str:
        c = variants.get(c, c)
        s = t2s.get(c)
        if s is None and converter is not None and ord(c) > 0xFFFF and _CJK_RE.match(c):
            s = converter.convert(c)  # rare extension-B+ traditional forms
            s = s if len(s) == 1 else c
        return variants.get(s or c, s or c)

    def char_fn(ch: str) -> str:
        if ch in char_map:
            out = char_map[ch]
        elif dropped(ch):
            return ""
        else:
            out = unicodedata.normalize("NFKC", ch).lower()
        if len(out) == 1:
            return "" if out != ch and dropped(out) else simplify(out)
        return "".join(simplify(c) for c in out if not dropped(c))

    return char_fn


def _key_regex(keys: Iterable[str]) -> str:
    """A trie-shaped alternation: longest key first at each position, tokens only as tokens.

    A key starting with a Latin letter/digit must not follow a letter, digit or URL/handle
    character; one ending with a letter must not be followed by a letter (nor by "." + letter,
    as in a domain name); one ending with a digit not by a digit.
    """
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def right_guard(last: str) -> str:
        if "a" <= last <= "z":
            return "(?![a-z]|[./@_\\-][a-z0-9])"
        if last.isdigit():
            return "(?![0-9])"
        return ""

    def walk(node: dict[str, Any], last: str, depth: int) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            head = re.escape(ch)
            if depth == 0 and (("a" <= ch <= "z") or ch.isdigit()):
                head += f"(?<![{_TOKEN_BEFORE}]{re.escape(ch)})"
            alts.append(head + walk(node[ch], ch, depth + 1))
        if "" in node:
            alts.append(right_guard(last))  # after the longer keys: longest match wins
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return walk(trie, "", 0)


def _latin_tokens(keys: Iterable[str]) -> tuple[set[str], set[str]]:
    """Latin runs of alias keys that sit before / after a CJK character inside a key."""
    before: set[str] = set()
    after: set[str] = set()
    for key in keys:
        for m in re.finditer(r"[a-z0-9]+", key):
            if m.end() < len(key) and _CJK_RE.match(key[m.end()]):
                before.add(m.group())
            if m.start() > 0 and _CJK_RE.match(key[m.start() - 1]):
                after.add(m.group())
    return before, after


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@functools.cache
def load_tables() -> Tables:
    """Compile the YAML tables once per process (module-level cache)."""
    aliases_doc = _read_yaml(ALIASES_FILE)
    chars_doc = _read_yaml(CHARACTERS_FILE)

    traditional = {pair[0]: pair[1] for pair in chars_doc["traditional"].split()}
    char_map: dict[str, str] = {}
    for entry in chars_doc["char_map"]:
        values = list(entry["to"])
        if len(values) != len(entry["chars"]):
            raise ValueError(f"{CHARACTERS_FILE}: char_map {entry['chars']!r}: length mismatch")
        char_map.update({c: str(v) for c, v in zip(entry["chars"], values, strict=True)})
    drop_ranges = [(int(lo, 16), int(hi, 16)) for lo, hi in chars_doc["drop_ranges"]]
    variants = {str(k): str(v) for k, v in aliases_doc.get("char_variants", {}).items()}
    t2s, t2s_source, converter = _load_t2s(traditional)
    char_fn = _build_char_fn(char_map, drop_ranges, t2s, variants, converter)

    # Stage 1 tables: every BMP character precomputed; one-char results go to str.translate.
    one_to_one: dict[int, int] = {}
    special_map: dict[str, str] = {}
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        out = char_fn(ch)
        if out == ch:
            continue
        if len(out) == 1:
            one_to_one[cp] = ord(out)
        else:
            special_map[ch] = out
    special_re = re.compile(
        f"[{_char_class(special_map)}\\ud800-\\udfff\\U00010000-\\U0010ffff]+")

    def norm(s: str) -> str:  # keys and values go through stage 1 like the text will
        return "".join(char_fn(c) for c in str(s))

    # Stage 2: confusables.
    confusables = {ord(norm(k)): ord(norm(v))
                   for k, v in aliases_doc.get("confusables", {}).items()}
    kana = {norm(k): norm(v) for k, v in aliases_doc.get("kana_lookalikes", {}).items()}
    kana_re = re.compile(f"[{_char_class(kana)}]") if kana else None
    conf_chars = "".join(chr(c) for c in confusables)
    confusable_re = confusable_run_re = None
    if confusables:
        cls = _char_class(conf_chars)
        confusable_re = re.compile(f"[{cls}]")
        confusable_run_re = re.compile(f"[a-z{cls}]+")

    # Stage 6/7: aliases.
    aliases: dict[str, str] = {}
    alias_groups: dict[str, list[str]] = {}
    for canonical, variants_raw in aliases_doc["aliases"].items():
        value = norm(canonical)
        alias_groups[str(canonical)] = [str(v) for v in variants_raw]
        for raw in variants_raw:
            key = norm(raw)
            if key and key != value:
                aliases[key] = value
    contextual: dict[str, _Contextual] = {}
    for rule in aliases_doc.get("contextual", []):
        near = [norm(w) for w in rule.get("near", [])]
        ctx = _Contextual(
            to=norm(rule["to"]),
            near=re.compile(_alternation(near)) if near else None,
            window=int(rule.get("window", 6)),
            not_next=frozenset(norm(rule.get("not_next", ""))))
        for raw in rule["from"]:
            contextual[norm(raw)] = ctx
    alias_re = re.compile(_key_regex(aliases)) if aliases else None
    contextual_re = re.compile(_key_regex(contextual)) if contextual else None

    # Stage 3: separators.
    categories = set(chars_doc["separator_categories"])
    explicit = set(norm(chars_doc["separators"])) | set(chars_doc["separators"])
    seps = [chr(cp) for cp in range(0x10000)
            if not 0xD800 <= cp <= 0xDFFF and (
                chr(cp) in explicit or chr(cp).isspace()
                or unicodedata.category(chr(cp)) in categories)]
    tok_before, tok_after = _latin_tokens([*aliases, *contextual])
    cjk = f"[{CJK_CLASS}]"
    right = f"{cjk}|(?:{_alternation(tok_after)})(?![a-z])" if tok_after else cjk
    # Starts with the separator class (rarer than CJK in Chinese text) so the engine skips ahead;
    # the lookbehind then checks the CJK character before it.
    sep_cls = _char_class(seps)
    separator_re = re.compile(f"[{sep_cls}](?<={cjk}[{sep_cls}])[{sep_cls}]*(?={right})")
    token_separator_re = (re.compile(f"{_key_regex(tok_before)}([{sep_cls}]+)(?={cjk})")
                          if tok_before else None)

    # Stage 4: contact-number runs.
    numerals = {str(d): norm(chars) for d, chars in chars_doc["numerals"].items()}
    numeral_digits = {c: d for d, chars in numerals.items() for c in chars}
    units = norm(chars_doc["numeral_units"])
    prefixes = norm(chars_doc["numeral_prefixes"])
    num = re.escape("".join(numeral_digits))
    # One class first (so the engine skips ahead by it), then: an ASCII digit, or a numeral that
    # is neither an ordinal (第一) nor a quantity (一年, 二建).
    digit = (f"[0-9{num}](?:(?<=[0-9])|(?<![{re.escape(prefixes)}][{num}])"
             f"(?![{re.escape(units)}]))")
    psep = f"[{re.escape(chars_doc['phone_separators'])}]"
    phone_re = re.compile(f"{digit}(?:{psep}{{0,3}}{digit}){{6,}}")

    digest = hashlib.sha256()
    for path in (ALIASES_FILE, CHARACTERS_FILE):
        digest.update(path.read_bytes())
    digest.update(t2s_source.encode())
    return Tables(
        t2s_source=t2s_source, fingerprint=digest.hexdigest(), one_to_one=one_to_one,
        special_re=special_re, special_map=special_map, char_fn=char_fn,
        confusables=confusables, confusable_re=confusable_re,
        confusable_run_re=confusable_run_re, kana=kana, kana_re=kana_re,
        separator_re=separator_re, token_separator_re=token_separator_re, phone_re=phone_re,
        phone_part_re=re.compile(f"([{num}]+)|([^0-9{num}]+)"),
        numeral_run_re=re.compile(f"[{num}]"),
        numeral_table=str.maketrans(numeral_digits),
        alias_re=alias_re, aliases=aliases, contextual_re=contextual_re, contextual=contextual,
        simplified_to_traditional=traditional, alias_groups=alias_groups, numerals=numerals,
        numeral_units=units, numeral_prefixes=prefixes,
        augment=dict(chars_doc.get("augment", {})), char_map=char_map,
        one_to_one_chars={chr(k): chr(v) for k, v in one_to_one.items()},
        one_to_one_re=re.compile(f"[{_char_class(map(chr, one_to_one))}]") if one_to_one
        else None,
        one_to_one_chained=frozenset(chr(k) for k, v in one_to_one.items() if v in one_to_one))


# --------------------------------------------------------------------------------------------
# Editing with offsets
#
# The map from the current text back to the original is kept as runs, not per character, so a
# stage costs O(edits · log runs) in Python plus C-speed slicing, whatever the text length.
# Three parallel lists: run j covers the next lens[j] characters; if ends[j] == -1 it is
# "linear" (its k-th character comes from original[srcs[j] + k]), otherwise "constant" (every
# character comes from original[srcs[j]:ends[j]], as when "guazheng" became 挂证).

Edit = tuple[int, int, str]  # replace text[start:end] with the string


@dataclass
class _Runs:
    lens: list[int]
    srcs: list[int]
    ends: list[int]
    _starts: list[int] | None = None  # cumulative lens, built on the first end_of()

    @classmethod
    def identity(cls, n: int) -> _Runs:
        return cls([n], [0], [-1]) if n else cls([], [], [])

    def offsets(self, n_original: int) -> tuple[int, ...]:
        if self.lens == [n_original] and self.srcs[0] == 0 and self.ends[0] < 0:
            return tuple(range(n_original + 1))  # untouched text
        out: list[int] = []
        extend = out.extend  # a few runs per text: a plain loop beats chained generators
        for n, s, e in zip(self.lens, self.srcs, self.ends, strict=True):
            extend(range(s, s + n) if e < 0 else (s,) * n)
        out.append(n_original)
        return tuple(out)

    def end_of(self, i: int) -> int:
        """Where the source of output character i ends in the original."""
        if self._starts is None:
            self._starts = list(itertools.accumulate(self.lens, initial=0))
        j = bisect.bisect_right(self._starts, i) - 1
        return self.srcs[j] + (i - self._starts[j]) + 1 if self.ends[j] < 0 else self.ends[j]


def _apply(text: str, runs: _Runs, edits: Sequence[Edit]) -> tuple[str, _Runs]:
    """Apply sorted, non-overlapping edits to the text and its map.

    Inside an edit, equal-length replacements and a common prefix/suffix map character by
    character; the rest of the replacement maps to the whole of the rest of the source
    ("gua证" → "挂证": 挂 ← gua, 证 ← 证).
    """
    if not edits:
        return text, runs
    pieces: list[str] = []
    # (a, b, -1): output copies text[a:b] position for position (equal-length replacements
    # included); (a, b, k): k output characters that all come from text[a:b].
    items: list[tuple[int, int, int]] = []
    copy_from = last = 0  # the pending copy is text[copy_from:...]
    for s, e, repl in edits:
        if s > last:
            pieces.append(text[last:s])
        last = e
        k = len(repl)
        if not k:  # a deletion ends the pending copy
            if s > copy_from:
                items.append((copy_from, s, -1))
            copy_from = e
            continue
        pieces.append(repl)
        n = e - s
        if n == k:
            continue  # same length: stays inside the pending copy
        limit = min(n, k)
        p = 0
        while p < limit and text[s + p] == repl[p]:
            p += 1
        q = 0
        while q < limit - p and text[e - 1 - q] == repl[k - 1 - q]:
            q += 1
        if s + p > copy_from:
            items.append((copy_from, s + p, -1))
        if n - p - q > 0:
            items.append((s + p, e - q, k - p - q))
        else:  # pure insertion: borrow the neighbouring source character
            at = s + p - 1 if p else s
            items.append((at, at + 1, k - p - q))
        copy_from = e - q
    if last < len(text):
        pieces.append(text[last:])
    if not items and copy_from == 0:
        return "".join(pieces), runs  # equal-length replacements only: the map is unchanged
    if len(text) > copy_from:
        items.append((copy_from, len(text), -1))
    return "".join(pieces), _compose(items, runs)


def _compose(items: list[tuple[int, int, int]], runs: _Runs) -> _Runs:
    """Express the new text's items (in current-text positions) as runs over the original."""
    lens, srcs, ends = runs.lens, runs.srcs, runs.ends
    if len(lens) == 1 and srcs[0] == 0 and ends[0] < 0:
        # Current text is still the original (the usual case for the first stage that edits
        # anything): items are runs already; build them with comprehensions, no lookups.
        return _Runs([b - a if k < 0 else k for a, b, k in items], [a for a, _, _ in items],
                     [-1 if k < 0 else b for _, b, k in items])
    starts = list(itertools.accumulate(lens, initial=0))
    new_lens: list[int] = []
    new_srcs: list[int] = []
    new_ends: list[int] = []
    bisect_right = bisect.bisect_right

    def push(length: int, src: int, end: int) -> None:
        # Merge into the last run when this one continues it (keeps the map small).
        if new_lens:
            last_end = new_ends[-1]
            if (end < 0 and last_end < 0 and new_srcs[-1] + new_lens[-1] == src) or (
                    end >= 0 and last_end == end and new_srcs[-1] == src):
                new_lens[-1] += length
                return
        new_lens.append(length)
        new_srcs.append(src)
        new_ends.append(end)

    j = 0
    for a, b, k in items:
        j = bisect_right(starts, a, j) - 1  # items ascend, so search from the last run
        if k < 0 and b <= starts[j + 1]:  # a copy inside one run: the common case
            end = ends[j]
            push(b - a, srcs[j] + (a - starts[j]) if end < 0 else srcs[j], end)
            continue
        jb = bisect_right(starts, b - 1, j) - 1
        if k >= 0:  # k characters that come from the whole of [a, b)
            lo = srcs[j] + (a - starts[j]) if ends[j] < 0 else srcs[j]
            hi = srcs[jb] + (b - starts[jb]) if ends[jb] < 0 else ends[jb]
            push(k, lo, hi)
        else:  # the first run from a, whole runs in between (C-speed slices), the last up to b
            push(starts[j + 1] - a, srcs[j] + (a - starts[j]) if ends[j] < 0 else srcs[j],
                 ends[j])
            new_lens.extend(lens[j + 1:jb])
            new_srcs.extend(srcs[j + 1:jb])
            new_ends.extend(ends[j + 1:jb])
            push(b - starts[jb], srcs[jb], ends[jb])
    return _Runs(new_lens, new_srcs, new_ends)


# --------------------------------------------------------------------------------------------
# Stages: each returns the edits for one pass over the current text

def _char_edits(text: str, t: Tables) -> list[Edit]:
    special, fn = t.special_map, t.char_fn
    edits: list[Edit] = []
    for m in t.special_re.finditer(text):
        run, base = m.group(), m.start()
        if len(run) == 1 and run in special:  # the common case, kept cheap
            if special[run] != run:
                edits.append((base, base + 1, special[run]))
            continue
        outs = []
        for ch in run:
            out = special.get(ch)
            if out is None:
                out = "" if 0xD800 <= ord(ch) <= 0xDFFF else fn(ch)
                if len(special) < _MAX_LAZY_CACHE:
                    special[ch] = out
            outs.append(out)
        if not any(outs):
            edits.append((base, m.end(), ""))  # an emoji sequence: one deletion
            continue
        edits.extend((base + i, base + i + 1, out)
                     for i, (ch, out) in enumerate(zip(run, outs, strict=True)) if out != ch)
    return edits


_MAX_REPLACED = 16


def _fold_characters(text: str, t: Tables) -> str:
    """`text.translate(t.one_to_one)`, faster for the usual ad: str.translate looks every
    character up in a dict, while an ad holds a handful of distinct foldable ones (full-width
    punctuation, a capital, a traditional character), each replaced throughout in C."""
    if t.one_to_one_re is None:
        return text
    found = set(t.one_to_one_re.findall(text))  # a regex scan: no str object per character
    if not found:
        return text
    if len(found) > _MAX_REPLACED or not t.one_to_one_chained.isdisjoint(found):
        return text.translate(t.one_to_one)
    chars = t.one_to_one_chars
    for ch in found:
        text = text.replace(ch, chars[ch])
    return text


_KANA_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


def _confusable_edits(text: str, t: Tables) -> list[Edit]:
    """Lookalikes from another script, folded only where they pose as Latin or Han: Cyrillic
    and Greek letters among Latin letters or next to CJK/digits; katakana next to Han."""
    edits: list[Edit] = []
    if t.kana_re is not None:
        for m in t.kana_re.finditer(text):
            s = m.start()
            around = text[s - 1:s] + text[s + 1:s + 2]
            if _CJK_RE.search(around) and not _KANA_RE.search(around):
                edits.append((s, s + 1, t.kana[m.group()]))
    if t.confusable_re is None or t.confusable_run_re is None or not t.confusable_re.search(text):
        return edits
    for m in t.confusable_run_re.finditer(text):
        run = m.group()
        folded = run.translate(t.confusables)
        if folded == run:
            continue
        s, e = m.span()
        touches = any(0 <= i < len(text) and (text[i].isdigit() or _CJK_RE.match(text[i]))
                      for i in (s - 1, e))
        if touches or any("a" <= c <= "z" for c in run):
            edits.append((s, e, folded))
    return sorted(edits)


def _separator_edits(text: str, t: Tables) -> list[Edit]:
    edits = [(m.start(), m.end(), "") for m in t.separator_re.finditer(text)]
    if t.token_separator_re is not None:
        after_token = [(m.start(1), m.end(1), "") for m in t.token_separator_re.finditer(text)]
        if after_token:  # never overlaps: one kind needs CJK before the run, one a letter
            edits = sorted(edits + after_token)
    return edits


def _phone_edits(text: str, t: Tables) -> list[Edit]:
    edits: list[Edit] = []
    for m in t.phone_re.finditer(text):
        run = m.group()
        has_numeral = t.numeral_run_re.search(run) is not None
        if not has_numeral and not _ascii_run_is_contact(run):
            continue
        base = m.start()
        for part in t.phone_part_re.finditer(run):  # numeral runs and separator runs
            s, e = base + part.start(), base + part.end()
            edits.append((s, e, "" if part.lastindex == 2 else
                          part.group().translate(t.numeral_table)))
    return edits


_GROUP_RE = re.compile(r"[0-9]+")


def _ascii_run_is_contact(run: str) -> bool:
    """Whether a split run of ASCII digits looks like a phone/QQ number, not a date or amount."""
    groups = _GROUP_RE.findall(run)
    if len(groups) < 2:
        return False  # nothing to join
    digits = "".join(groups)
    n = len(digits)
    if n == 11 and digits[0] == "1":
        return True  # mobile: 138 1234 5678
    if digits[0] == "0" and 10 <= n <= 12:
        return True  # landline with area code: 0571-8888 8888
    if all(len(g) == 1 for g in groups):
        return True  # digit by digit: 2 8 7 6 5 3 3 9 1
    if not 7 <= n <= 12 or min(len(g) for g in groups) < 3:
        return False  # dates (2024-11-22), times, long ID/card runs
    if len(groups) == 2 and run[len(groups[0])] == ".":
        return False  # a decimal: 3.1415926
    return not all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)  # years: 2023 2024


# A run of 2+ whitespace, one non-space whitespace, or a single space at either end. Written to
# start with \s so the regex engine can skip ahead by character class.
_WS_RE = re.compile(r"\s(?:\s+|(?<=[^\S ])|(?<=\A\s)|\Z)")


def _whitespace_edits(text: str, t: Tables) -> list[Edit]:
    n = len(text)
    return [(m.start(), m.end(), "" if m.start() == 0 or m.end() == n else " ")
            for m in _WS_RE.finditer(text)]


def _alias_edits(text: str, t: Tables) -> list[Edit]:
    if t.alias_re is None:
        return []
    aliases = t.aliases
    return [(m.start(), m.end(), aliases[m.group()]) for m in t.alias_re.finditer(text)]


def _contextual_edits(text: str, t: Tables) -> list[Edit]:
    if t.contextual_re is None:
        return []
    edits: list[Edit] = []
    for m in t.contextual_re.finditer(text):
        rule = t.contextual[m.group()]
        s, e = m.span()
        if e < len(text) and text[e] in rule.not_next:
            continue
        if rule.near is not None and not (
                rule.near.search(text, max(0, s - rule.window), s)
                or rule.near.search(text, e, e + rule.window)):
            continue
        edits.append((s, e, rule.to))
    return edits


_STAGES = (_confusable_edits, _separator_edits, _phone_edits, _whitespace_edits)
# Layered evasions fold in layers: "gua征" → 挂征 → 挂证, "dian工挣" → 电工挣 → 电工证.
_ALIAS_PASSES = 3


def normalize(text: str) -> Normalized:
    """Normalise one text; never raises on any str (lone surrogates, controls, 1 MB…)."""
    if not isinstance(text, str):
        raise TypeError(f"normalize() takes str, not {type(text).__name__}")
    t = load_tables()
    n = len(text)
    runs = _Runs.identity(n)
    current = _fold_characters(text, t)  # 1:1, so the map stays the identity
    current, runs = _apply(current, runs, _char_edits(current, t))
    for stage in _STAGES:
        current, runs = _apply(current, runs, stage(current, t))
    for _ in range(_ALIAS_PASSES):
        edits = _alias_edits(current, t)
        if not edits:
            break
        current, runs = _apply(current, runs, edits)
    current, runs = _apply(current, runs, _contextual_edits(current, t))
    return Normalized(original=text, text=current, offsets=runs.offsets(n), runs=runs)


def normalize_many(texts: Iterable[str]) -> list[Normalized]:
    return [normalize(text) for text in texts]
