"""Contacts as advertisers write them: plain numbers, or dressed up to slip past filters."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.content.pen import Pen

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
# Capital-city area codes, so a landline matches the advertised province.
AREA_CODES: dict[str, str] = {
    "安徽": "0551",
    "江苏": "025",
    "浙江": "0571",
    "广东": "020",
    "四川": "028",
    "贵州": "0851",
    "吉林": "0431",
    "内蒙古": "0471",
    "山东": "0531",
    "河南": "0371",
    "湖北": "027",
    "湖南": "0731",
    "河北": "0311",
    "陕西": "029",
    "福建": "0591",
    "江西": "0791",
    "云南": "0871",
    "广西": "0771",
    "重庆": "023",
    "北京": "010",
    "上海": "021",
    "天津": "022",
    "山西": "0351",
    "辽宁": "024",
    "黑龙江": "0451",
    "新疆": "0991",
    "甘肃": "0931",
    "宁夏": "0951",
    "海南": "0898",
}
WECHAT_STEMS = (
    "gz",
    "jz",
    "zs",
    "kefu",
    "hr",
    "zj",
    "cert",
    "aq",
    "dg",
    "bz",
    "laow",
    "xm",
    "tong",
    "fw",
    "zhengshu",
    "jianzao",
    "kaozheng",
    "banzheng",
    "zhaopin",
    "px",
)
PLAIN_DIGITS = "0123456789"
CN_DIGITS = ("零一二三四五六七八九", "〇幺二三四五六七八九", "洞幺两三四五六拐八勾")
CN_CAPITAL = "零壹贰叁肆伍陆柒捌玖"
FULL_DIGITS = "０１２３４５６７８９"
CIRCLED = "〇①②③④⑤⑥⑦⑧⑨"  # 〇 for zero: ⓪ is not in GBK
WECHAT_WORDS = ("V信", "薇信", "wx", "VX", "威信", "加V", "v", "微 信", "徽信")
QQ_WORDS = ("扣扣", "Q Q", "企鹅", "qq")


@dataclass(frozen=True)
class Contact:
    display: str  # what the contact field shows
    in_text: tuple[str, ...]  # how the body writes it; several lines when split across lines


def mobile(pen: Pen) -> str:
    return pen.pick(MOBILE_PREFIXES) + pen.digits(8)


def wechat_id(pen: Pen) -> str:
    sep = pen.pick(("_", "", "-", ""))
    return f"{pen.pick(WECHAT_STEMS)}{sep}{pen.digits(pen.between(2, 5))}"


def qq_number(pen: Pen) -> str:
    return str(pen.between(1, 9)) + pen.digits(pen.between(6, 9))


def landline(pen: Pen, province: str) -> str:
    code = AREA_CODES.get(province, "0551")
    return f"{code}-{pen.between(2, 8)}{pen.digits(7 if len(code) == 3 else 6)}"


def _spaced(number: str, sep: str = " ") -> str:
    return sep.join((number[:3], number[3:7], number[7:]))


def _translate(number: str, table: str) -> str:
    return "".join(table[PLAIN_DIGITS.index(c)] if c.isdigit() else c for c in number)


def plain_contact(pen: Pen, person: str, province: str, *, firm: bool = False) -> Contact:
    """A contact written the ordinary way."""
    roll = pen.rng.random()
    if firm and roll < 0.3:
        text = f"{person} {landline(pen, province)}"
    elif roll < 0.55:
        text = f"{person} {mobile(pen)}"
    elif roll < 0.7:
        text = f"电话：{_spaced(mobile(pen), pen.pick(('-', ' ')))}"
    elif roll < 0.85:
        text = f"微信：{wechat_id(pen)}"
    elif roll < 0.93:
        text = f"微信同号 {mobile(pen)}"
    else:
        text = f"QQ：{qq_number(pen)}"
    return Contact(text, (text,))


def _intermediaries() -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Fixed, seed-independent: the same few black intermediaries work every platform.
    pen = Pen(random.Random("certwatch-sandbox-intermediaries"))
    return (tuple(mobile(pen) for _ in range(10)), tuple(wechat_id(pen) for _ in range(6)))


# A few intermediaries post many ads on every site under one number or WeChat id, dressed up
# differently each time: tying those ads together is what certwatch's contact keys are for.
INTERMEDIARY_MOBILES, INTERMEDIARY_WECHATS = _intermediaries()
REUSE_RATE = 0.35


def hidden_contact(pen: Pen) -> Contact:
    """A contact dressed up against keyword and number filters."""
    reuse = pen.chance(REUSE_RATE)
    number = pen.pick(INTERMEDIARY_MOBILES) if reuse else mobile(pen)
    roll = pen.rng.random()
    if roll < 0.22:
        wechat = pen.pick(INTERMEDIARY_WECHATS) if reuse else wechat_id(pen)
        text = f"{pen.pick(WECHAT_WORDS)}：{wechat}"
    elif roll < 0.4:
        table = pen.pick(CN_DIGITS)
        text = _spaced(_translate(number, table)) if pen.chance(0.6) else _translate(number, table)
    elif roll < 0.48:
        text = _translate(number, CN_CAPITAL)
    elif roll < 0.58:
        text = _spaced(_translate(number, CIRCLED), "-")
    elif roll < 0.68:
        text = _spaced(_translate(number, FULL_DIGITS))
    elif roll < 0.78:
        text = f"{pen.pick(QQ_WORDS)} {qq_number(pen)}"
    elif roll < 0.9:
        # Split across lines in the body: the field shows the pieces with spaces.
        head, mid, tail = number[:3], number[3:7], number[7:]
        lines = (f"电话前三位{head}", f"中间{mid}", f"最后{tail}")
        return Contact(f"{head} {mid} {tail}", lines)
    else:
        text = f"{_spaced(number)}（同{pen.pick(('V', '微', 'wx'))}）"
    if not pen.gbk_safe and pen.chance(0.15):
        text = pen.pick(("📞", "☎️", "💬")) + text
    return Contact(text, (text,))
