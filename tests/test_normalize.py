"""classifiers.normalize: each evasion trick folded, offsets exact, ordinary text left alone."""

from __future__ import annotations

import random
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.normalize import (
    CHARACTERS_FILE,
    Normalized,
    _load_t2s,
    load_tables,
    normalize,
    normalize_many,
)
from tests.scaling import assert_near_linear


@pytest.mark.parametrize(("raw", "expected"), [
    # separators between CJK characters
    ("挂 证", "挂证"), ("包*过", "包过"), ("免-考", "免考"), ("证/书", "证书"), ("包.过", "包过"),
    ("挂|证", "挂证"), ("挂·证", "挂证"), ("挂_证", "挂证"), ("挂丨证", "挂证"), ("挂\n证", "挂证"),
    ("挂\u200b证", "挂证"), ("挂★证", "挂证"), ("挂🔥证", "挂证"), ("挂 - 证", "挂证"),
    # traditional characters
    ("掛證", "挂证"), ("包過", "包过"), ("考試", "考试"), ("證書", "证书"), ("聯繫", "联系"),
    ("掛 證", "挂证"),
    # homophones and lookalikes
    ("卦证", "挂证"), ("褂证", "挂证"), ("挂証", "挂证"), ("包锅", "包过"), ("保过", "包过"),
    ("免烤", "免考"), ("薇信", "微信"), ("徽信", "微信"), ("扣扣", "qq"), ("焊工挣", "焊工证"),
    # pinyin and letters
    ("gua证", "挂证"), ("GUA证", "挂证"), ("guazheng", "挂证"), ("GZ", "挂证"),
    ("gz一建", "挂证一建"),
    ("二j", "二建"), ("二J", "二建"), ("2j", "二建"), ("一j", "一建"), ("一jian", "一建"),
    ("baoguo", "包过"), ("bao过", "包过"), ("包guo", "包过"), ("免kao", "免考"),
    ("v信", "微信"), ("V信", "微信"), ("vx", "微信"), ("VX", "微信"), ("wx", "微信"),
    ("微x", "微信"), ("QQ", "qq"), ("aqy", "安全员"), ("AQYc证", "安全员c证"),
    ("zheng书", "证书"), ("gua 证", "挂证"), ("bao 过", "包过"), ("二 J", "二建"), ("v 信", "微信"),
    ("加v", "加微信"), ("加v信", "加微信"),
    # full-width, circled, compatibility forms
    ("ＧＺ", "挂证"), ("ｖｘ", "微信"), ("１３８", "138"), ("①②③", "123"), ("⑬", "13"),
    ("❶❸❽", "138"), ("🅥🅧", "微信"), ("⼀建", "一建"), ("Ⅴ信", "微信"),
    # katakana posing as Han, layered tricks
    ("焊エ证", "焊工证"), ("ニ建", "二建"), ("ー建", "一建"), ("gua征", "挂证"),
    ("dian工挣", "电工证"), ("guan网可查", "官网可查"), ("监l 造j", "监理 造价"),
    ("消f工程师", "消防工程师"), ("bg班", "包过班"),
    # lookalike Cyrillic in a Latin/CJK context
    ("加ѵх", "加微信"), ("ԛԛ12345", "qq12345"), ("vх", "微信"),
    # contextual folds
    ("加威信：abc", "加微信:abc"), ("企鹅号12345", "qq号12345"), ("拿正书", "拿证书"),
    ("1建机电", "一建机电"), ("2建市政", "二建市政"),
    # emoji, variation selectors, keycaps, controls
    ("1️⃣3️⃣8️⃣", "138"), ("❤️挂证", "挂证"), ("挂\x00证\x07", "挂证"), ("a\u202eb", "ab"),
    # whitespace collapsed, ends stripped
    ("  hello   world \n\n ok  ", "hello world ok"), ("a\tb", "a b"),
])
def test_tricks_are_folded(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("一三八 一二三四 五六七八", "13812345678"),
    ("138-1234\n5678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("幺三九零零零零一一一一", "13900001111"),
    ("壹贰叁肆伍陆柒捌玖零", "1234567890"),
    ("①③⑧ ①②③④ ⑤⑥⑦⑧", "13812345678"),
    ("1三8-1234 五六七八", "13812345678"),
    ("0571-8888 8888", "057188888888"),
    ("2 8 7 6 5 3 3 9 1", "287653391"),
    ("電話：壹叁捌 壹贰叁肆 伍陆柒捌", "电话:13812345678"),
    ("二建13812345678一年", "二建13812345678一年"),
    ("一三八一二三四五六七八二建", "13812345678二建"),
    ("第一 13812345678", "第一 13812345678"),
])
def test_contact_numbers_become_digit_strings(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


@pytest.mark.parametrize("raw", [
    "二建", "一年", "三类人员", "一级建造师", "二级建造师（市政）", "三年一签，年薪五万",
    "第一期", "星期五", "一二三四五", "2024-11-22", "2023 2024 2025", "圆周率3.1415926",
    "价格 12 000 元", "南极企鹅很可爱", "他在村里很有威信", "正书是楷书的别称", "2建筑公司",
    "建筑工程施工", "gzjs.gov.cn", "www.gzjs.gov.cn", "bugz", "yoga", "abc@wx.com",
    "Привет мир", "Καλημέρα", "مرحبا", "挂正规军", "焊工正在施工", "コーヒーとエアコン",
    "guava", "bg color", "wxid_abc",
])
def test_ordinary_text_is_left_alone(raw: str) -> None:
    # NFKC still applies (（ → (, ， → ,) but nothing is folded, joined or dropped.
    assert normalize(raw).text == unicodedata.normalize("NFKC", raw).lower()


@pytest.mark.parametrize(("raw", "canonical", "obfuscated"), [
    ("出租掛 證，联系我", "挂证", "掛 證"),
    ("二J机电 gua证 一年", "挂证", "gua证"),
    ("有意者加ｖ信详谈", "微信", "ｖ信"),
    ("找人GZ，价高", "挂证", "GZ"),
    ("包*過，免 考", "包过", "包*過"),
    ("证书全国可查 zheng书", "证书", "证书"),
    ("联系 幺三八 一二三四 五六七八 即可", "13812345678", "幺三八 一二三四 五六七八"),
    ("電話：138-1234\n5678。", "13812345678", "138-1234\n5678"),
    ("🔥挂🔥证🔥", "挂证", "挂🔥证"),
    ("⑬⑧", "138", "⑬⑧"),
])
def test_highlight_shows_the_obfuscated_form(raw: str, canonical: str, obfuscated: str) -> None:
    norm = normalize(raw)
    pos = norm.text.index(canonical)
    start, end = norm.span(pos, pos + len(canonical))
    assert raw[start:end] == obfuscated


def test_offsets_track_every_character() -> None:
    raw = "  掛 證🔥，二J，gua证 ⑬ V信\n一三八 一二三四 五六七八  "
    norm = normalize(raw)
    assert len(norm.offsets) == len(norm.text) + 1
    assert norm.offsets[-1] == len(raw)
    assert list(norm.offsets) == sorted(norm.offsets)
    for i in range(len(norm.text)):
        start, end = norm.span(i, i + 1)
        assert 0 <= start < end <= len(raw)
        assert normalize(raw[start:end]).text or norm.text[i] == " ", (i, norm.text[i])


# Per-character tricks: no context involved, so any span of the normalised text must come from
# an original slice that normalises back to exactly that span.
_PER_CHAR = "掛證包過考試證書１２３ＡＢＣ①②③⑬❶🔥✅️\u200bёЖ뭐かなヲン𠀀"


def test_random_spans_normalise_back() -> None:
    rng = random.Random(7)
    for _ in range(200):
        raw = "".join(rng.choice(_PER_CHAR) for _ in range(rng.randrange(1, 40)))
        norm = normalize(raw)
        for _ in range(10):
            i = rng.randrange(len(norm.text) + 1)
            j = rng.randrange(i, len(norm.text) + 1)
            start, end = norm.span(i, j)
            again = normalize(raw[start:end]).text
            # ⑬ → "13" is one source for two characters: a span may cut through it.
            assert norm.text[i:j] in again, (raw, i, j, again)
            assert len(again) <= j - i + 1


def test_span_clamps_and_never_inverts() -> None:
    norm = normalize("掛 證 abc")
    assert norm.span(-5, 100) == (0, len(norm.original))
    assert norm.span(3, 1) == norm.span(3, 3)
    start, end = norm.span(len(norm.text), len(norm.text))
    assert start == end == len(norm.original)
    plain = Normalized("ab", "ab", (0, 1, 2))  # built from the public fields only
    assert plain.span(0, 1) == (0, 1)


def test_edge_cases() -> None:
    assert normalize("") == Normalized("", "", (0,))
    assert normalize("   \n\t ").text == ""
    assert normalize("\ud800").text == ""
    assert normalize("a\ud800b\udfffc").text == "abc"
    assert normalize("\x00\x01\x1b[31m红\x7f").text == "[31m红"
    mixed = normalize("Москва London 北京 القاهرة 🔥 ok")
    assert mixed.text == "москва london 北京 القاهرة ok"
    with pytest.raises(TypeError):
        normalize(b"bytes")  # type: ignore[arg-type]
    assert [n.text for n in normalize_many(["掛證", "vx"])] == ["挂证", "微信"]


def test_one_megabyte_costs_no_more_than_linear_work() -> None:
    ad = ("急招二J，掛 證一年３万，不用到岗🔥社保不限。包*過免kao，證書全国可查！"
          "加ｖ信或扣扣，電話：幺三八 一二三四 五六七八。Contact us at www.example.com. ")
    text = (ad * (1_000_000 // len(ad) + 1))[:1_000_000]
    norm = normalize(text)
    assert "挂证" in norm.text and "13812345678" in norm.text
    assert_near_linear(normalize, text)


def test_tables_are_consistent() -> None:
    tables = load_tables()
    for canonical, variants in tables.alias_groups.items():
        for variant in variants:
            assert normalize(variant).text == normalize(canonical).text, variant
    for simplified, traditional in tables.simplified_to_traditional.items():
        assert normalize(traditional).text == simplified, traditional


def test_traditional_fallback_without_opencc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opencc", None)  # makes `import opencc` fail
    table, source, converter = _load_t2s({"挂": "掛", "证": "證"})
    assert (source, converter) == (CHARACTERS_FILE.name, None)
    assert table == {"掛": "挂", "證": "证"}


def test_tables_have_a_fingerprint() -> None:
    assert len(load_tables().fingerprint) == 64


def test_opencc_is_used_when_installed() -> None:
    pytest.importorskip("opencc")
    assert load_tables().t2s_source.startswith("opencc")
    assert normalize("髮廊裡乾淨").text == "发廊里干净"  # not in the YAML table: OpenCC folds it


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF),
               max_size=80)
       | st.text(alphabet=st.sampled_from(list("挂证包过微信一三八二建 *-./|\n①⑬🔥️vxgzj12345掛證")),
                 max_size=60))
def test_never_raises_and_offsets_are_sane(raw: str) -> None:
    norm = normalize(raw)
    offsets = norm.offsets
    assert len(offsets) == len(norm.text) + 1
    assert offsets[-1] == len(raw)
    assert all(0 <= a <= b <= len(raw) for a, b in zip(offsets, offsets[1:], strict=False))
    for i in range(len(norm.text)):
        start, end = norm.span(i, i + 1)
        assert 0 <= start < end <= len(raw)
    assert normalize(norm.text).text == norm.text or _refolds(norm.text)


def _refolds(text: str) -> bool:
    """Normalising twice may fold more (a fold can create a new separator-free CJK pair or
    join two digit groups); it must still never raise and must not grow the text."""
    return len(normalize(text).text) <= len(text)
