"""Evasion tricks from GUIDE.md §1, applied to a finished ad the way its writer would.

Tables are data (like dnstwist's homoglyph maps): term -> technique -> variants. A disguised
ad either swaps the telltale words for euphemisms, or rewrites them character by character
(separators, pinyin, traditional forms, homophones, full-width, circled digits, emoji).
"""

from __future__ import annotations

import re

from sandbox.content.pen import Pen

TECHNIQUES = ("sep", "pinyin", "trad", "homophone", "fullwidth", "circled", "emoji")
GBK_UNSAFE = frozenset({"emoji"})

VARIANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "挂证": {
        "sep": ("挂 证", "挂*证", "挂-证", "挂/证", "挂.证"),
        "pinyin": ("gua证", "GZ", "guazheng", "挂zheng"),
        "trad": ("掛證",),
        "homophone": ("卦证", "褂证", "挂正", "掛正"),
    },
    "挂靠": {
        "sep": ("挂 靠", "挂-靠"),
        "pinyin": ("gua靠", "GK"),
        "trad": ("掛靠",),
        "homophone": ("卦靠",),
    },
    "包过": {
        "sep": ("包*过", "包 过", "包-过", "包.过"),
        "pinyin": ("baoguo", "bao过", "包guo", "BG"),
        "trad": ("包過",),
        "homophone": ("苞过", "保过", "饱过"),
    },
    "免考": {
        "sep": ("免-考", "免 考", "免*考"),
        "pinyin": ("mian考", "免kao", "MK"),
        "homophone": ("勉考", "免烤"),
    },
    "速成": {"sep": ("速 成", "速-成"), "pinyin": ("su成", "速cheng"), "homophone": ("速程",)},
    "代考": {"sep": ("代 考", "代*考"), "pinyin": ("dai考", "DK"), "homophone": ("带考", "袋考")},
    "替考": {"sep": ("替 考",), "pinyin": ("ti考",), "homophone": ("提考",)},
    "不用考试": {
        "sep": ("不用考 试", "不用 考试"),
        "pinyin": ("不用kao试", "不用ks"),
        "trad": ("不用考試",),
        "homophone": ("不用烤试",),
    },
    "直接拿证": {
        "sep": ("直接拿 证", "直接-拿证"),
        "pinyin": ("直接na证", "直接拿zheng"),
        "trad": ("直接拿證",),
        "homophone": ("直接拿正",),
    },
    "官网可查": {
        "sep": ("官 网可查", "官网 可查", "官-网-可-查"),
        "pinyin": ("官网ke查", "gw可查"),
        "trad": ("官網可查",),
        "homophone": ("管网可查", "官网可察"),
    },
    "联网可查": {
        "sep": ("联网 可查", "联-网可查"),
        "pinyin": ("lian网可查",),
        "trad": ("聯網可查",),
        "homophone": ("连网可查",),
    },
    "内部渠道": {
        "sep": ("内部 渠道", "内-部渠道"),
        "pinyin": ("nei部渠道", "NB渠道"),
        "trad": ("內部渠道",),
        "homophone": ("内布渠道",),
    },
    "保证拿证": {
        "sep": ("保证 拿证",),
        "pinyin": ("保证na证",),
        "trad": ("保證拿證",),
        "homophone": ("保正拿证",),
    },
    "不过退费": {
        "sep": ("不过 退费", "不过/退费"),
        "pinyin": ("不guo退费",),
        "trad": ("不過退費",),
        "homophone": ("不过退废",),
    },
    "一建": {
        "pinyin": ("一J", "yi建", "1J"),
        "circled": ("①建",),
        "fullwidth": ("１建",),
        "trad": ("壹建",),
        "homophone": ("一剑", "壹剑"),
    },
    "二建": {
        "pinyin": ("二J", "er建", "2J"),
        "circled": ("②建",),
        "fullwidth": ("２建",),
        "trad": ("贰建",),
        "homophone": ("二剑", "二键"),
    },
    "证书": {
        "sep": ("证 书", "证-书"),
        "pinyin": ("证shu", "zs"),
        "trad": ("證書",),
        "homophone": ("正书", "证叔"),
    },
    "社保": {"sep": ("社 保",), "pinyin": ("she保", "SB"), "homophone": ("社宝",)},
    "微信": {
        "sep": ("微 信",),
        "pinyin": ("V信", "wx", "VX"),
        "homophone": ("薇信", "威信", "徽信"),
    },
    "安全员": {"sep": ("安全 员",), "pinyin": ("AQY", "anquan员"), "trad": ("安全員",)},
    "电工证": {
        "sep": ("电工 证",),
        "pinyin": ("DG证", "电工zheng"),
        "trad": ("電工證",),
        "homophone": ("电工正",),
    },
    "焊工证": {
        "sep": ("焊工 证",),
        "pinyin": ("HG证",),
        "trad": ("焊工證",),
        "homophone": ("焊工正",),
    },
    "叉车证": {
        "sep": ("叉车 证",),
        "pinyin": ("cc证", "叉che证"),
        "trad": ("叉車證",),
        "homophone": ("插车证",),
    },
    "拿证": {"sep": ("拿 证",), "pinyin": ("na证",), "trad": ("拿證",), "homophone": ("拿正",)},
    "押题": {"sep": ("押 题",), "pinyin": ("ya题",), "trad": ("押題",), "homophone": ("压题",)},
    "答案": {"sep": ("答 案",), "pinyin": ("da案", "DA"), "homophone": ("搭案",)},
    "人证分离": {"sep": ("人证 分离",), "trad": ("人證分離",)},
    "不用到岗": {"sep": ("不用到 岗",), "trad": ("不用到崗",), "homophone": ("不用到港",)},
    "不用出场": {"sep": ("不用出 场",), "trad": ("不用出場",), "homophone": ("不用出厂",)},
}

EUPHEMISMS: dict[str, tuple[str, ...]] = {
    "挂证": ("兼职", "证书兼职", "托管", "资质合作", "人证分离", "证书合作", "注册合作"),
    "挂靠": ("合作", "托管", "资质合作"),
    "包过": ("稳过", "省心通关", "通关无忧", "结果有保障"),
    "免考": ("不用去考场", "无需到场", "免去考试环节"),
    "代考": ("考试协助", "远程协助", "全程代劳"),
    "替考": ("考试协助", "有人帮考"),
    "不用考试": ("不用到考场", "省去考试", "无需参加考试"),
    "直接拿证": ("快速到手", "直接出结果", "省心拿本"),
    "官网可查": ("网上能查到", "系统里查得到", "可上网核验"),
    "内部渠道": ("特殊通道", "绿色通道", "有熟人"),
}

TRAD = str.maketrans(
    "挂证过书试员电网联价专业无须办发国会实学资质师级险单为后内门条现场岗让们这个时长经验营报认费"
    "题库卖买钱号码话续转册项设计监车处体术与气压机关让诚达"
    "",
    "掛證過書試員電網聯價專業無須辦發國會實學資質師級險單為後內門條現場崗讓們這個時長經驗營報認費"
    "題庫賣買錢號碼話續轉冊項設計監車處體術與氣壓機關讓誠達",
)
EMOJI = ("🔥", "✅", "💰", "⭐", "🈶", "🔸", "👉", "💯", "🉐", "📢")

_TERMS = re.compile("|".join(sorted(map(re.escape, VARIANTS), key=len, reverse=True)))
_EUPH = re.compile("|".join(sorted(map(re.escape, EUPHEMISMS), key=len, reverse=True)))


def traditional(text: str) -> str:
    return text.translate(TRAD)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def circled(text: str) -> str:
    return "".join("〇①②③④⑤⑥⑦⑧⑨"[int(c)] if c.isascii() and c.isdigit() else c for c in text)


def euphemize(pen: Pen, text: str) -> str:
    return _EUPH.sub(lambda m: pen.pick(EUPHEMISMS[m.group()]), text)


def _rewrite_terms(pen: Pen, text: str, techniques: tuple[str, ...]) -> str:
    def swap(match: re.Match[str]) -> str:
        term = match.group()
        if not pen.chance(0.85):
            return term
        table = VARIANTS[term]
        usable = [t for t in techniques if t in table] or [
            t for t in table if not (pen.gbk_safe and t in GBK_UNSAFE)
        ]
        if "emoji" in techniques and not pen.gbk_safe and pen.chance(0.4):
            return term[0] + pen.pick(EMOJI) + term[1:]
        return pen.pick(table[pen.pick(usable)])

    return _TERMS.sub(swap, text)


def _whole_line(pen: Pen, text: str, technique: str) -> str:
    if technique == "trad":
        return traditional(text)
    if technique == "fullwidth":
        return fullwidth(text)
    if technique == "circled":
        return circled(text)
    if technique == "emoji" and not pen.gbk_safe:
        return f"{pen.pick(EMOJI)}{text}{pen.pick(EMOJI)}"
    return text


def disguise(pen: Pen, title: str, lines: list[str]) -> tuple[str, list[str]]:
    """Rewrite a plain ad as an evasive one; returns the new title and lines."""
    if pen.chance(0.35):
        soft_title, soft_lines = euphemize(pen, title), [euphemize(pen, line) for line in lines]
        changed = (soft_title, soft_lines) != (title, lines)
        title, lines = soft_title, soft_lines
        # Euphemisms alone still leave telltale words elsewhere; some writers split those too.
        if changed and pen.chance(0.5):
            return title, lines
    allowed = tuple(t for t in TECHNIQUES if not (pen.gbk_safe and t in GBK_UNSAFE))
    techniques = tuple(pen.picks(allowed, pen.between(1, 2)))
    title = _rewrite_terms(pen, title, techniques)
    lines = [_rewrite_terms(pen, line, techniques) for line in lines]
    whole = pen.pick(techniques)
    if whole in ("trad", "fullwidth", "circled", "emoji") and pen.chance(0.6):
        title = _whole_line(pen, title, whole)
        if whole == "trad" and pen.chance(0.5):
            lines = [traditional(line) for line in lines]
    return title, lines
