"""Attribute extractors: contacts, certificates, prices, region (classifiers/attributes.py)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from classifiers import attributes
from classifiers.attributes import (
    Attributes,
    AttributeTableError,
    Certificate,
    Contact,
    Price,
    attribute_source,
    extract_attributes,
    extract_certificates,
    extract_contacts,
    extract_prices,
    extract_region,
)
from tests.scaling import assert_near_linear

MOBILE = "mobile:13812345678"

# ------------------------------------------------------------------------------ contacts

CONTACTS = [
    # mobiles, plain and obfuscated
    ("电话13812345678", [MOBILE]),
    ("电话 138-1234-5678", [MOBILE]),
    ("138 1234 5678", [MOBILE]),
    ("138.1234.5678", [MOBILE]),
    ("联系\n138\n1234\n5678\n", [MOBILE]),
    ("手机：138 1234\r\n 5678", [MOBILE]),
    ("1 3 8 1 2 3 4 5 6 7 8", [MOBILE]),
    ("一三八一二三四五六七八", [MOBILE]),
    ("联系：一三八 一二三四 五六七八", [MOBILE]),
    ("幺三八幺二三四五六七八", [MOBILE]),
    ("壹叁捌壹贰叁肆伍陆柒捌", [MOBILE]),
    ("①③⑧①②③④⑤⑥⑦⑧", [MOBILE]),
    ("❶❸❽❶❷❸❹❺❻❼❽", [MOBILE]),
    ("１３８１２３４５６７８", [MOBILE]),
    ("138一二三四5678", [MOBILE]),
    ("+86 138 1234 5678", [MOBILE]),
    ("+8613812345678", [MOBILE]),
    ("0086-13812345678", [MOBILE]),
    ("一建13812345678", [MOBILE]),
    ("13812345678、13987654321", [MOBILE, "mobile:13987654321"]),
    # digits after a WeChat cue are the phone the account is registered to
    ("微信：13812345678", [MOBILE]),
    ("微信同号 13812345678", [MOBILE]),
    # WeChat ids
    ("微信：Abc_123", ["wechat:abc_123"]),
    ("V信 abc_123", ["wechat:abc_123"]),
    ("薇信abc_123", ["wechat:abc_123"]),
    ("威信: abc_123", ["wechat:abc_123"]),
    ("微 信：abc_123", ["wechat:abc_123"]),
    ("vx：abc_123", ["wechat:abc_123"]),
    ("wx abc_123", ["wechat:abc_123"]),
    ("v:abc_123", ["wechat:abc_123"]),
    ("加V abc_123", ["wechat:abc_123"]),
    ("➕V：abc_123", ["wechat:abc_123"]),
    ("微信号：abc-123", ["wechat:abc-123"]),
    ("ｗｘ：ａｂｃ＿１２３", ["wechat:abc_123"]),
    # QQ
    ("QQ：12345678", ["qq:12345678"]),
    ("ＱＱ：１２３４５６７８", ["qq:12345678"]),
    ("扣扣 12345678", ["qq:12345678"]),
    ("企鹅：12345678", ["qq:12345678"]),
    ("Q:12345678", ["qq:12345678"]),
    ("qq 八八六六五五四四", ["qq:88665544"]),
    ("微信/QQ：1234567890", ["qq:1234567890"]),
    # landlines
    ("0551-65432100", ["phone:055165432100"]),
    ("(0551)65432100", ["phone:055165432100"]),
    ("400-800-1234", ["phone:4008001234"]),
    ("电话：055165432100", ["phone:055165432100"]),
    ("热线：0371-5599 8213、18638527704", ["phone:037155998213", "mobile:18638527704"]),
    ("〇二八-六一七三-二〇九五", ["phone:02861732095"]),
]

NOT_CONTACTS = [
    "2024年11月20日",
    "2024-11-20 13:45",
    "25000元",
    "年薪25000元，¥380",
    "证书编号：320102199001011234",  # an ID number
    "证书编号：13812345678",  # 11 digits, but labelled as a certificate number
    "身份证号 32010219900101123X",
    "12345678901234",
    "2013812345678",
    "价格 13.5 12.8 11.6 10.2 9.9",
    "1.5万 2.8万 3.6万 4.2万",
    "2024 11 20 13 45 1234",
    "一二三四五六七八九十",
    "十一月二十日，一级建造师二级建造师",
    "微信公众号 abc_123",
    "twx: abcdef1",
    "QQ群：12345678",
]


@pytest.mark.parametrize(("text", "keys"), CONTACTS)
def test_contacts(text: str, keys: list[str]) -> None:
    contacts = extract_contacts(text)
    assert [c.key for c in contacts] == keys
    for c in contacts:
        assert c.key == f"{c.kind}:{c.value}"
        assert text[c.start:c.end] == c.text


@pytest.mark.parametrize("text", NOT_CONTACTS)
def test_no_false_contacts(text: str) -> None:
    assert extract_contacts(text) == ()


def test_same_contact_written_three_ways_is_one_key() -> None:
    ads = ["二建挂靠，年费2万，电话 138-1234-5678",
           "出证快，V信：一三八 一二三四 五六七八",
           "联系 +86 ①③⑧ ①②③④ ⑤⑥⑦⑧ 微信同号"]
    keys = [{c.key for c in extract_attributes(ad).contacts} for ad in ads]
    assert keys == [{MOBILE}] * 3


def test_repeated_contact_is_listed_once_at_first_occurrence() -> None:
    text = "V信：abc_123 ……再说一遍 wx: ABC_123"
    (contact,) = extract_contacts(text)
    assert (contact.key, contact.start) == ("wechat:abc_123", text.index("abc_123"))


# -------------------------------------------------------------------------- certificates

CERTIFICATES = [
    ("一建市政", {("一级建造师", "市政")}),
    ("市政一建", {("一级建造师", "市政")}),
    ("一级建造师（市政、机电）", {("一级建造师", "市政"), ("一级建造师", "机电")}),
    ("一建市政二建机电", {("一级建造师", "市政"), ("二级建造师", "机电")}),
    ("二J机电", {("二级建造师", "机电")}),
    ("一 建", {("一级建造师", None)}),
    ("掛證 一級建造師", {("一级建造师", None)}),
    ("二建挂靠，二建市政", {("二级建造师", "市政")}),
    ("注册结构", {("勘察设计注册工程师", "结构")}),
    ("一注结构", {("勘察设计注册工程师", "结构")}),
    ("注册岩土工程师", {("勘察设计注册工程师", "岩土")}),
    ("一级注册建筑师", {("注册建筑师", "一级")}),
    ("监理工程师 交通", {("监理工程师", "交通运输")}),
    ("造价工程师（安装）一级造价", {("造价工程师", "安装")}),
    ("一级造价工程师", {("造价工程师", "一级")}),
    ("注安", {("注册安全工程师", None)}),
    ("中级注安(化工)", {("注册安全工程师", "化工")}),
    ("二级消防工程师", {("消防工程师", "二级")}),
    ("电工证", {("特种作业操作证", "电工")}),
    ("低压电工作业", {("特种作业操作证", "电工")}),
    ("焊工证", {("特种作业操作证", "焊接与热切割")}),
    ("登高证", {("特种作业操作证", "高处作业")}),
    ("高处作业", {("特种作业操作证", "高处作业")}),
    ("特种作业操作证（制冷与空调）", {("特种作业操作证", "制冷与空调")}),
    ("塔吊", {("建筑施工特种作业", "塔式起重机司机")}),
    ("建筑电工", {("建筑施工特种作业", "建筑电工")}),
    ("建筑施工特种作业 信号工", {("建筑施工特种作业", "信号工")}),
    ("安全员C证", {("安全员", "C证")}),
    ("三类人员B证", {("安全员", "B证")}),
    ("专职安全员", {("安全员", "C证")}),
    ("出個安全員C，有要的沒", {("安全员", "C证")}),
    ("三类人员A/B/C", {("安全员", "A证"), ("安全员", "B证"), ("安全员", "C证")}),
    ("叉车证", {("特种设备作业", "叉车")}),
    ("N1叉车", {("特种设备作业", "叉车")}),
    ("特种设备作业人员证 锅炉", {("特种设备作业", "锅炉")}),
    ("施工员 资料员", {("其他", "施工员"), ("其他", "资料员")}),
]

NOT_CERTIFICATES = ["统一建设", "唯一建筑", "第二建筑公司", "机电工程", "带电工作", "关注安全",
                    "备注安排", "12j", "今天天气不错"]


@pytest.mark.parametrize(("text", "expected"), CERTIFICATES)
def test_certificates(text: str, expected: set[tuple[str, str | None]]) -> None:
    certificates = extract_certificates(text)
    assert {(c.family, c.specialty) for c in certificates} == expected
    assert len(certificates) == len(expected)
    for c in certificates:
        assert text[c.start:c.end] == c.text


@pytest.mark.parametrize("text", NOT_CERTIFICATES)
def test_no_false_certificates(text: str) -> None:
    assert extract_certificates(text) == ()


def test_every_family_in_the_guide_is_in_the_table() -> None:
    families = set(attributes._cert_table().families)
    assert families >= {"一级建造师", "二级建造师", "注册建筑师", "勘察设计注册工程师",
                        "监理工程师", "造价工程师", "注册安全工程师", "消防工程师",
                        "特种作业操作证", "建筑施工特种作业", "安全员", "特种设备作业", "其他"}


# -------------------------------------------------------------------------------- prices

PRICES = [
    ("2.5w/年", 25000, "year", "2.5w/年"),
    ("3万一年", 30000, "year", "3万一年"),
    ("1.8万", 18000, None, "1.8万"),
    ("¥380", 380, None, "¥380"),
    ("￥380", 380, None, "￥380"),
    ("800元", 800, None, "800元"),
    ("四万", 40000, None, "四万"),
    ("2-3万", 20000, None, "2-3万"),
    ("2万-3万/年", 20000, "year", "2万-3万/年"),
    ("年薪4万", 40000, "year", "4万"),
    ("年薪三万五", 35000, "year", "三万五"),
    ("月薪8000", 8000, "month", "8000"),
    ("800元/月", 800, "month", "800元/月"),
    ("8k/月", 8000, "month", "8k/月"),
    ("一次性5000元", 5000, "once", "5000元"),
    ("两三万", 20000, None, "两三万"),
    ("3万5", 35000, None, "3万5"),
    ("三万五千元", 35000, None, "三万五千元"),
    ("二点五万", 25000, None, "二点五万"),
    ("RMB 500", 500, None, "RMB 500"),
    ("25,000元", 25000, None, "25,000元"),
    ("１．５万", 15000, None, "１．５万"),
    ("三科壹萬貳", 12000, None, "壹萬貳"),
    ("兩萬一年", 20000, "year", "兩萬一年"),
]

NOT_PRICES = ["2024年11月20日", "3万人报名", "5kg", "一块儿去", "3年", "13812345678",
              "千万不要相信", "价格：10人以下"]


@pytest.mark.parametrize(("text", "amount", "period", "raw"), PRICES)
def test_prices(text: str, amount: float, period: str | None, raw: str) -> None:
    (price,) = extract_prices(text)
    assert (price.amount_cny, price.period, price.raw) == (amount, period, raw)
    assert text[price.start:price.end] == price.raw


@pytest.mark.parametrize("text", NOT_PRICES)
def test_no_false_prices(text: str) -> None:
    assert extract_prices(text) == ()


def test_period_belongs_to_its_own_amount() -> None:
    prices = extract_prices("3万一年 800元 年薪：4万")
    assert [(p.amount_cny, p.period) for p in prices] == [(30000, "year"), (800, None),
                                                         (40000, "year")]


def test_salient_price_is_the_certificate_price() -> None:
    attrs = extract_attributes("报名费300元。二建挂靠年薪3万，价格可谈")
    assert attrs.price is not None and attrs.price.amount_cny == 30000
    assert extract_attributes("只收800元").price.amount_cny == 800  # type: ignore[union-attr]


# ------------------------------------------------------------------------------- regions

REGIONS = [
    ("合肥", "安徽·合肥"),
    ("江苏省", "江苏"),
    ("北京", "北京"),
    ("上海浦东", "上海"),
    ("江苏南京，南京某公司", "江苏·南京"),
    ("安徽合肥 江苏南京 江苏苏州", "江苏·南京"),
    ("吉林市", "吉林·吉林"),
    ("吉林省", "吉林"),
    ("合肥市北京路", "安徽·合肥"),
    ("中山市", "广东·中山"),
    ("延边州", "吉林·延边"),
    ("廣東省深圳市", "广东·深圳"),
    ("内蒙古呼和浩特", "内蒙古·呼和浩特"),
    ("海南三亚", "海南·三亚"),
    ("海南州", "青海·海南"),
    ("中山大学", None),
    ("大同小异", None),
    ("全国范围", None),
]


@pytest.mark.parametrize(("text", "region"), REGIONS)
def test_region(text: str, region: str | None) -> None:
    assert extract_region(text) == region


def test_region_table_covers_every_province_and_prefecture() -> None:
    places = attributes._region_table().places.values()
    assert len({province for province, _ in places}) == 34
    assert len({place for place in places if place[1]}) >= 333  # 地级市, 地区, 自治州, 盟


# ---------------------------------------------------------------------------- the whole

def test_empty_text_gives_empty_attributes() -> None:
    for text in ("", "  \n "):
        assert extract_attributes(text) == Attributes()
    assert Attributes().as_dict() == {"certificates": [], "contacts": [], "price": None,
                                      "region": None}


def test_spans_index_the_title_and_text_joined() -> None:
    title, text = "合肥二建挂靠", "年薪3万，V信：abc_123，电话138-1234-5678"
    attrs = extract_attributes(text, title)
    source = attribute_source(text, title)
    assert source == f"{title}\n{text}"
    spans = [(x.start, x.end, x.text) for x in (*attrs.certificates, *attrs.contacts)]
    assert attrs.price is not None
    spans.append((attrs.price.start, attrs.price.end, attrs.price.raw))
    assert all(source[start:end] == written for start, end, written in spans)
    assert attrs.region == "安徽·合肥"
    assert extract_attributes(text).contacts[0].start == text.index("abc_123")


def test_as_dict_is_json_ready() -> None:
    attrs = extract_attributes("一级建造师（市政）挂靠，2.5w/年，微信 gz_888888，安徽合肥")
    data = json.loads(json.dumps(attrs.as_dict(), ensure_ascii=False))
    assert data == {
        "certificates": [{"family": "一级建造师", "specialty": "市政", "text": "一级建造师（市政"}],
        "contacts": [{"kind": "wechat", "value": "gz_888888", "key": "wechat:gz_888888",
                      "text": "gz_888888"}],
        "price": {"amount_cny": 25000.0, "period": "year", "text": "2.5w/年"},
        "region": "安徽·合肥",
    }


def test_a_megabyte_costs_no_more_than_linear_work() -> None:
    ads = [text for text, _ in CONTACTS + CERTIFICATES] + [text for text, *_ in PRICES]
    text = "\n".join(ads)
    text = (text * (1_000_000 // len(text) + 1))[:1_000_000]
    attrs = extract_attributes(text)
    assert attrs.contacts and attrs.certificates and attrs.price
    assert_near_linear(extract_attributes, text)


def test_malformed_table_names_the_file(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "certificates.yaml").write_text("families: [unclosed", encoding="utf-8")
    monkeypatch.setattr(attributes, "DATA_DIR", tmp_path)
    with pytest.raises(AttributeTableError, match="certificates.yaml"):
        attributes._load_yaml("certificates.yaml")


# ------------------------------------------------------------- fast paths, same answers

EXTRA_CONTACTS = [
    ("座机：02861732095", ["phone:02861732095"]),
    ("tel:055165432100", ["phone:055165432100"]),
    ("固话 0371-5599 8213", ["phone:037155998213"]),
    ("138—1234—5678", [MOBILE]),
    ("138 1234 5678 139 8765 4321", [MOBILE, "mobile:13987654321"]),
    ("+86-138-1234-5678", [MOBILE]),
    ("86 138 1234 5678", [MOBILE]),
    ("加 V：abc_123", ["wechat:abc_123"]),
    ("ｗｘ abc_123 5w一年", ["wechat:abc_123"]),
    ("扣 扣 12345678", ["qq:12345678"]),
    ("企鹅号：12345678", ["qq:12345678"]),
    ("编号13812345678", []),
    ("单号: 13812345678 联系13987654321", ["mobile:13987654321"]),
]

EXTRA_PRICES = [
    ("三千元", [(3000, None, "三千元")]),
    ("三千人", []),
    ("1,000元", [(1000, None, "1,000元")]),
    ("2024 3万", [(30000, None, "3万")]),
    ("v2 3万", [(30000, None, "3万")]),
    ("年薪 约3万", [(30000, "year", "3万")]),
    ("年费：一万二", [(12000, "year", "一万二")]),
    ("价格面议", []),
    ("费用全包，3千/月", [(3000, "month", "3千/月")]),
    ("¥ 1,200-1,500", [(1200, None, "¥ 1,200-1,500")]),
    ("人民币5000元", [(5000, None, "人民币5000元")]),
    ("2.5w-3w/年", [(25000, "year", "2.5w-3w/年")]),
]

EXTRA_CERTIFICATES = [
    ("一•建市政", {("一级建造师", "市政")}),  # "•" and "·" are both gaps
    ("一·建", {("一级建造师", None)}),
    ("一建\t市政", {("一级建造师", "市政")}),
    ("壹建、贰建、一造、监理、注安、消防、三类人员",
     {("一级建造师", None), ("二级建造师", None), ("造价工程师", "一级"),
      ("注册安全工程师", None), ("安全员", None)}),
]


@pytest.mark.parametrize(("text", "keys"), EXTRA_CONTACTS)
def test_more_contacts(text: str, keys: list[str]) -> None:
    contacts = extract_contacts(text)
    assert [c.key for c in contacts] == keys
    assert all(text[c.start:c.end] == c.text for c in contacts)


@pytest.mark.parametrize(("text", "expected"), EXTRA_PRICES)
def test_more_prices(text: str, expected: list[tuple[float, str | None, str]]) -> None:
    assert [(p.amount_cny, p.period, p.raw) for p in extract_prices(text)] == expected


@pytest.mark.parametrize(("text", "expected"), EXTRA_CERTIFICATES)
def test_more_certificates(text: str, expected: set[tuple[str, str | None]]) -> None:
    certificates = extract_certificates(text)
    assert {(c.family, c.specialty) for c in certificates} == expected
    assert len(certificates) == len(expected)
    assert all(text[c.start:c.end] == c.text for c in certificates)


def _all_texts() -> list[str]:
    return ([text for text, _ in CONTACTS + CERTIFICATES + EXTRA_CONTACTS + EXTRA_CERTIFICATES]
            + [text for text, *_ in PRICES + EXTRA_PRICES] + NOT_CONTACTS + NOT_CERTIFICATES
            + NOT_PRICES + [text for text, _ in REGIONS])


def test_fold_changes_each_character_as_the_table_does() -> None:
    # more than 64 distinct characters to change: the fold translates instead of replacing
    many = "".join(chr(0xFF10 + i) for i in range(10)) + "".join(
        chr(0xFF21 + i) + chr(0xFF41 + i) for i in range(26))
    texts = [*_all_texts(), "", "ABC abc", "𝐀𝐁 🔥 ＱＱ", "掛證 一級建造師 ①②③",
             many * 2 + "兩萬塊" + "ΑΣ İ", "\u3000全角　空格"]
    for text in texts:
        expected = "".join(attributes._fold_char(char) for char in text)
        assert attributes._fold_text(text) == expected
        assert len(expected) == len(text)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


@pytest.mark.parametrize("case", ["certificates", "regions", "singles", "gap inside a word"])
def test_dispatch_pattern_finds_what_the_trie_finds(case: str) -> None:
    gap_chars = ""
    if case == "certificates":
        words, gap_chars = list(attributes._cert_table().entries), attributes._VIEW_GAP_CHARS
    elif case == "regions":
        words = list(attributes._region_table().places)
    elif case == "singles":
        words, gap_chars = ["一", "一建", "一建筑", "建", "二建", "b", "ab"], " *"
    else:
        words, gap_chars = ["a.b", "ab", "abc", "a"], "."
    gap = f"[{re.escape(gap_chars)}]{{0,2}}" if gap_chars else ""
    trie = re.compile(attributes._trie_pattern(words, gap))
    dispatch = re.compile(attributes._dispatch_pattern(words, gap_chars))
    rng = random.Random(7)
    alphabet = sorted({char for word in words for char in word} | set(gap_chars) | set("x，\n"))
    texts = [*_all_texts(), *(w1 + w2 for w1 in words[:40] for w2 in words[:40])]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
              for _ in range(3000)]
    for text in texts:
        assert _spans(dispatch, text) == _spans(trie, text), text


def test_cue_tokens_hide_no_token_of_another_kind() -> None:
    kinds = [attributes._WECHAT_TOKENS, attributes._QQ_TOKENS, *attributes._PRICE_NEEDS]
    for kind in kinds:
        for other in kinds:
            if other is kind:
                continue
            for token in kind - other:
                assert not any(o[0] in token[1:] for o in other - kind), (token, other)


def test_cue_led_patterns_match_only_where_cues_are_found() -> None:
    gated = [(attributes._WECHAT_RE, attributes._WECHAT_TOKENS),
             (attributes._QQ_RE, attributes._QQ_TOKENS),
             *zip(attributes._PRICE_RES, attributes._PRICE_NEEDS, strict=True)]
    rng = random.Random(3)
    pieces = ["微 信", "V信", "vx：", "wx ", "加 V", "➕薇", "QQ：", "扣 扣", "企鹅", "年薪：",
              "价格", "一口价 ", "约", "3", "万", "w", "元", "¥", "rmb", "人民币", "三千", " ",
              "abc_123", "13812345678", "，", "k", "块钱", "-", "至"]
    texts = _all_texts() + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
                            for _ in range(3000)]
    for text in texts:
        folded = attributes._fold(text)
        cues = attributes._cues(folded)
        for pattern, needs in gated:
            if pattern.search(folded):
                assert not needs.isdisjoint(cues), (text, pattern.pattern[:30])


def _mobiles_by_grouping(segment: str) -> tuple[tuple[int, int, str, bool], ...]:
    """`_mobiles_in_run` without its shortcuts: every group of the run tried in turn."""
    stream = segment.translate(attributes._DIGIT_TABLE)
    groups = attributes._groups(segment, stream)
    found, i = [], 0
    while i < len(groups):
        hit = attributes._mobile_at(groups, i, stream)
        if hit is None:
            i += 1
            continue
        found.append((groups[i][0], groups[hit[0]][1], hit[1], hit[2]))
        i = hit[0] + 1
    return tuple(found)


def test_mobile_shortcuts_agree_with_the_grouping() -> None:
    rng = random.Random(5)
    segments = ["13812345678", "23812345678", "8613812345678", "008613812345678",
                "138123456789", "138 1234 5678", "138-1234-5678", "1 3 8 1 2 3 4 5 6 7 8",
                "13 81 23 45 678", "1-38 12.34 5678", "0551-65432100", "138 1234 5678 139"]
    for _ in range(3000):
        digits = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789")
                                                       for _ in range(rng.randint(9, 14)))
        segment = digits[0]
        for char in digits[1:]:
            if rng.random() < 0.3:
                segment += rng.choice([" ", "-", ".", "  ", " - ", "_"])
            segment += char
        segments.append(segment)
    for segment in segments:
        assert attributes._RUN_RE.fullmatch(segment) or len(segment.replace(" ", "")) < 11
        assert attributes._mobiles_in_run(segment) == _mobiles_by_grouping(segment), segment


def test_fast_constructors_build_the_dataclasses() -> None:
    assert attributes._new_certificate("安全员", "C证", 1, 5, "安全员C") == Certificate(
        "安全员", "C证", 1, 5, "安全员C")
    assert attributes._new_contact("qq", "123456", "qq:123456", 0, 6, "123456") == Contact(
        "qq", "123456", "qq:123456", 0, 6, "123456")
    assert attributes._new_price(3e4, "year", "3万", 2, 4) == Price(3e4, "year", "3万", 2, 4)
    built = attributes._new_attributes((), (), None, "北京")
    assert built == Attributes(region="北京") and hash(built) == hash(Attributes(region="北京"))
    assert repr(built) == repr(Attributes(region="北京"))
