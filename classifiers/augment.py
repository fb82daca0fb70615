"""Rewrite clean ads with the evasion tricks advertisers use: the normaliser's tables inverted.

Each trick is one function `(text, rng) -> text`, picked by name from TRICKS. Every trick only
writes forms that classifiers.normalize folds back (alias variants are kept only if normalising
them alone gives their canonical form, and Latin-edged variants are never glued to other
letters), so `normalize(augment(t)).text` keeps the key tokens of `normalize(t).text`. The
output depends only on the text and the state of `rng`.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from classifiers.normalize import CJK_CLASS, load_tables, normalize

_CJK_RE = re.compile(f"[{CJK_CLASS}]")
_MOBILE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_LATIN_EDGE = re.compile(r"[a-z0-9]")
_TOKEN_NEIGHBOUR = re.compile(r"[a-z0-9./@_\-]")
_CIRCLED = {str(d): chr(0x2460 + d - 1) for d in range(1, 10)} | {"0": "\u24ea"}  # ①…⑨, ⓪
_FULLWIDTH_OFFSET = 0xFEE0  # "a" → "ａ": NFKC folds it back

Trick = Callable[[str, random.Random], str]


@dataclass(frozen=True)
class _Inverse:
    """The normaliser's tables, turned around for writing."""

    pattern: re.Pattern[str] | None      # canonical forms, longest first
    homophones: dict[str, list[str]]     # canonical -> CJK-only variants
    pinyin: dict[str, list[str]]         # canonical -> variants with Latin letters/digits
    traditional: dict[str, str]
    digit_forms: dict[str, list[str]]    # "1" -> ["①", "❶", "➀", …]
    numerals: dict[str, list[str]]       # "1" -> ["一", "幺", "壹"]
    numeral_units: str
    numeral_prefixes: str
    separators: list[str]
    emoji: list[str]
    phone_separators: list[str]


@functools.cache
def _inverse() -> _Inverse:
    t = load_tables()
    homophones: dict[str, list[str]] = {}
    pinyin: dict[str, list[str]] = {}
    for canonical, variants in t.alias_groups.items():
        target = normalize(canonical).text
        for variant in variants:
            if normalize(variant).text != target:
                continue  # e.g. a variant that only folds in context: never write it blind
            has_latin = _LATIN_EDGE.search(variant.lower()) is not None
            (pinyin if has_latin else homophones).setdefault(canonical, []).append(variant)
    canonicals = sorted({*homophones, *pinyin}, key=lambda c: (-len(c), c))
    digit_forms: dict[str, list[str]] = {d: [c] for d, c in _CIRCLED.items()}
    for char, value in sorted(t.char_map.items()):
        if len(value) == 1 and value.isdigit():
            digit_forms[value].append(char)
    aug = t.augment
    return _Inverse(
        pattern=re.compile("|".join(map(re.escape, canonicals))) if canonicals else None,
        homophones=homophones, pinyin=pinyin, traditional=t.simplified_to_traditional,
        digit_forms=digit_forms,
        numerals={d: list(chars) for d, chars in t.numerals.items()},
        numeral_units=t.numeral_units, numeral_prefixes=t.numeral_prefixes,
        separators=list(aug["separators"]), emoji=list(aug["emoji"]),
        phone_separators=list(aug["phone_separators"]))


def _plain(ch: str) -> str:
    """How the normaliser will see one neighbouring character (enough for boundary checks)."""
    return normalize(ch).text if ch else ""


def _fits(variant: str, before: str, after: str) -> bool:
    """Whether a Latin-edged variant stays a token between these neighbours ("gz" not "xgz")."""
    v = variant.lower()
    if _LATIN_EDGE.match(v[0]) and before and _TOKEN_NEIGHBOUR.fullmatch(_plain(before)):
        return False
    if _LATIN_EDGE.match(v[-1]) and after:
        nxt = _plain(after)
        if v[-1].isdigit():
            return not nxt.isdigit()
        return not _TOKEN_NEIGHBOUR.fullmatch(nxt)
    return True


def _replace_aliases(text: str, rng: random.Random, table: dict[str, list[str]],
                     shout: float = 0.0) -> str:
    """Replace canonical forms by variants; `shout` is the chance of upper-casing a variant."""
    inv = _inverse()
    if inv.pattern is None:
        return text
    hits = [m for m in inv.pattern.finditer(text) if m.group() in table]
    if not hits:
        return text
    # Each occurrence with probability 0.7, but at least one, so the trick always shows.
    chosen = {i for i in range(len(hits)) if rng.random() < 0.7} or {rng.randrange(len(hits))}
    out: list[str] = []
    last = 0
    for i, m in enumerate(hits):
        out.append(text[last:m.start()])
        last = m.start()
        if i not in chosen:
            continue
        before = next((piece[-1] for piece in reversed(out) if piece), "")
        options = [v for v in table[m.group()] if _fits(v, before, text[m.end():m.end() + 1])]
        if options:
            variant = rng.choice(options)
            out.append(variant.upper() if shout and rng.random() < shout else variant)
            last = m.end()
    out.append(text[last:])
    return "".join(out)


def homophones(text: str, rng: random.Random) -> str:
    """Homophones and lookalikes: 挂证 → 卦证, 包过 → 包锅, 微信 → 薇信."""
    return _replace_aliases(text, rng, _inverse().homophones)


def pinyin(text: str, rng: random.Random) -> str:
    """Pinyin and letters: 挂证 → gua证/GZ, 二建 → 二J, 微信 → vx."""
    # Advertisers often shout (GZ, VX, 二J); the normaliser lower-cases.
    return _replace_aliases(text, rng, _inverse().pinyin, shout=0.4)


def traditional(text: str, rng: random.Random) -> str:
    """Traditional characters: 挂证 → 掛證."""
    table = _inverse().traditional
    return "".join(table[c] if c in table and rng.random() < 0.8 else c for c in text)


def fullwidth(text: str, rng: random.Random) -> str:
    """Full-width Latin letters and digits: vx → ｖｘ, 138 → １３８."""
    return "".join(chr(ord(c) + _FULLWIDTH_OFFSET)
                   if c.isascii() and c.isalnum() and rng.random() < 0.7 else c for c in text)


def circled_digits(text: str, rng: random.Random) -> str:
    """Circled and dingbat digits: 138 → ①③⑧ / ❶❸❽."""
    forms = _inverse().digit_forms
    style = rng.randrange(max(len(f) for f in forms.values()))  # one style per text, mostly
    out = []
    for c in text:
        if c in forms and rng.random() < 0.8:
            options = forms[c]
            out.append(options[style] if style < len(options) else rng.choice(options))
        else:
            out.append(c)
    return "".join(out)


def _isolated(text: str, start: int, end: int) -> bool:
    """No other digit-like character within reach of a number that is about to be split, so
    the normaliser's contact-number run holds this number alone."""
    inv = _inverse()
    numeral_chars = {c for chars in inv.numerals.values() for c in chars}
    near = text[max(0, start - 4):start] + text[end:end + 4]
    return not any(c.isdigit() or c in numeral_chars for c in near)


def split_phone(text: str, rng: random.Random) -> str:
    """Phone numbers split across spaces, dashes or lines: 138-1234\\n5678."""
    seps = _inverse().phone_separators

    def split(m: re.Match[str]) -> str:
        if not _isolated(m.string, m.start(), m.end()):
            return m.group()
        d = m.group()
        return d[:3] + rng.choice(seps) + d[3:7] + rng.choice(seps) + d[7:]

    return _MOBILE_RE.sub(split, text)


def chinese_numeral_phone(text: str, rng: random.Random) -> str:
    """Phone numbers in Chinese numerals: 一三八 一二三四 五六七八, 幺三九…, 壹贰叁."""
    inv = _inverse()

    def spell(m: re.Match[str]) -> str:
        # A unit just after (八年) or an ordinal marker just before (第一) would make the
        # normaliser read that numeral as a quantity; separators in between do not stop it.
        after = m.string[m.end():m.end() + 3]
        before = m.string[max(0, m.start() - 3):m.start()]
        if (not _isolated(m.string, m.start(), m.end())
                or any(c in inv.numeral_units for c in after)
                or any(c in inv.numeral_prefixes for c in before)):
            return m.group()
        spaced = rng.random() < 0.5
        out = []
        for i, d in enumerate(m.group()):
            if spaced and i in (3, 7):
                out.append(" ")
            out.append(rng.choice(inv.numerals[d]))
        return "".join(out)

    return _MOBILE_RE.sub(spell, text)


def separators(text: str, rng: random.Random) -> str:
    """Separators between Chinese characters: 挂证 → 挂 证 / 挂*证 / 挂丨证."""
    seps = _inverse().separators
    pairs = [i for i in range(1, len(text))
             if _CJK_RE.match(text[i - 1]) and _CJK_RE.match(text[i])]
    if not pairs:
        return text
    chosen = {i for i in pairs if rng.random() < 0.25} or {rng.choice(pairs)}
    return "".join((rng.choice(seps) if i in chosen else "") + c for i, c in enumerate(text))


def emoji(text: str, rng: random.Random) -> str:
    """Emoji sprinkled anywhere, even inside words and numbers: 挂🔥证."""
    if not text:
        return text
    marks = _inverse().emoji
    count = 1 + len(text) // 40
    positions = sorted(rng.randrange(len(text) + 1) for _ in range(count))
    out: list[str] = []
    last = 0
    for pos in positions:
        out.append(text[last:pos])
        out.append(rng.choice(marks))
        last = pos
    out.append(text[last:])
    return "".join(out)


# Applied in this order whatever the draw: alias tricks before the character-level ones that
# would hide the canonical forms from them, phone tricks before digits become circled.
TRICKS: dict[str, Trick] = {
    "homophones": homophones,
    "pinyin": pinyin,
    "traditional": traditional,
    "chinese_numeral_phone": chinese_numeral_phone,
    "split_phone": split_phone,
    "circled_digits": circled_digits,
    "fullwidth": fullwidth,
    "separators": separators,
    "emoji": emoji,
}


def augment(text: str, rng: random.Random, n_tricks: int = 2) -> str:
    """Apply `n_tricks` distinct tricks drawn with `rng` (deterministic for a given state)."""
    names = set(rng.sample(list(TRICKS), k=max(0, min(n_tricks, len(TRICKS)))))
    for name, trick in TRICKS.items():
        if name in names:
            text = trick(text, rng)
    return text
