"""Forged-certificate ads: special-operations and safety certificates "with no exam"."""

from __future__ import annotations

from sandbox.content import vocab
from sandbox.content.compose import Ad, body, choose_style, fill, finish
from sandbox.content.draft import TOPIC_SAFETY, TOPIC_SPECIAL, Draft
from sandbox.content.pen import Pen
from sandbox.content.prices import goods_price
from sandbox.hosts import LOOKALIKES

LABEL = "fake_cert"

ISSUERS = ("应急管理部", "住建厅", "住建部", "市场监管总局", "省安监局", "人社部")


def _slots(pen: Pen) -> tuple[dict[str, str], str]:
    cert, full = pen.special_cert()
    others = [c for c, _ in pen.picks(vocab.SPECIAL_CERTS, 3) if c != cert][:2]
    province, city = pen.place()
    slots = {
        "cert": cert,
        "full": full,
        "cert2": others[0],
        "cert3": others[-1],
        "issuer": pen.pick(ISSUERS),
        "days": str(pen.between(1, 10)),
        "review": str(pen.pick((3, 6))),
        "price": goods_price(pen, 180, 1600),
        "deposit": str(pen.pick((100, 200, 300, 500))),
        "count": str(pen.between(3, 90) * 100),
        "province": province,
        "city": city,
    }
    # The "official" query site a forger points buyers to is one of the sandbox's lookalikes,
    # so `certwatch hunt` can find them through crawled ads. Chosen without a pen draw so the
    # rest of the generated web stays as it was.
    slots["site"] = _query_site(slots["issuer"], cert)
    topic = TOPIC_SAFETY if cert in vocab.SAFETY_STAFF_CERTS else TOPIC_SPECIAL
    return slots, topic


def _query_site(issuer: str, cert: str) -> str:
    if issuer in ("应急管理部", "省安监局"):
        return LOOKALIKES["tzzy"]
    return LOOKALIKES["zlaq_copy"] if len(cert) % 2 else LOOKALIKES["zscx"]


SALE_TITLES = (
    "{cert}办理 不用考试 官网可查",
    "{cert}直接拿证，全国联网可查",
    "出售{cert}，{days}天出证，包邮到家",
    "{cert}快速办理，官网可查可验",
    "{cert}/{cert2}/{cert3} 一站式办理",
    "急用{cert}的看过来，当天出证",
    "{city}{cert}不用考试，{price}",
    "{full}，直接拿证",
)
SALE_LINES = (
    "不用考试不用培训，提供身份证正反面和一寸白底照片就行。",
    "证书是{full}，{issuer}官网可查（{site}），扫码也能验证。",
    "全国通用，{review}年一复审，复审我们包办。",
    "{days}个工作日出证，顺丰包邮。",
    "价格：{price}，先交定金{deposit}元，出证后付尾款。",
    "工地、厂里查证都没问题，今年已经办了{count}多本。",
    "钢印芯片齐全，和考出来的一模一样，全国联网可查。",
    "另有{cert2}、{cert3}，多本一起办有优惠。",
    "外地也能办，全程线上，不用本人到场。",
    "查不到全额退款，放心办理。",
)
SALE_QUIET_TITLES = (
    "{cert}一周到手",
    "需要{cert}的私聊",
    "{cert2}、{cert}都能弄",
)
SALE_QUIET_LINES = (
    "发两张照片过来就行，别的不用操心。",
    "一周左右寄到你手上，网上搜得到编号。",
    "人不用跑，也不用去教室坐着。",
    "工地上随便查，出了问题找我。",
    "{price}一本，老客户介绍再便宜点。",
)


def sale(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.35, 0.2, 0.3, 0.15))
    slots, topic = _slots(pen)
    quiet = disguised and pen.chance(0.3)
    titles, lines = (SALE_QUIET_TITLES, SALE_QUIET_LINES) if quiet else (SALE_TITLES, SALE_LINES)
    ad = Ad(
        kind="fake_cert_sale",
        label=LABEL,
        title=fill(pen.pick(titles), slots),
        lines=body(pen, lines, slots),
        price=slots["price"],
        region=pen.region((slots["province"], slots["city"])),
        topic=topic,
        org=pen.pick(("个人", "证书服务中心", "办证咨询", slots["city"] + "证件服务部")),
        person=pen.person(),
        province=slots["province"],
    )
    return finish(pen, ad, disguised)


AGENT_TITLES = (
    "代办{cert}，不用本人到场",
    "{cert}代办加急，{days}天下证",
    "{cert}新办/补办/换证，速度快",
    "{cert}代办 免培训 可查",
    "{city}代办各类特种作业证",
)
AGENT_LINES = (
    "人在外地也能办，全程线上，资料齐全直接下证。",
    "不用上课不用考试，证书信息可在{issuer}网站查询：{site}",
    "比去培训学校快多了，省时间省心。",
    "已为{count}多位工友办理，工地批量办理有优惠。",
    "证书过期、丢失也能补办，不用重新考。",
    "收费{price}，证到付款。",
    "{cert2}、{cert3}同样可以代办。",
)


def agent(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.3, 0.3, 0.3, 0.1))
    slots, topic = _slots(pen)
    ad = Ad(
        kind="fake_cert_agent",
        label=LABEL,
        title=fill(pen.pick(AGENT_TITLES), slots),
        lines=body(pen, AGENT_LINES, slots),
        price=slots["price"],
        region=pen.region((slots["province"], slots["city"])),
        topic=topic,
        org=slots["city"] + pen.pick(("证件代办服务部", "职业资格代办中心", "劳务服务部")),
        person=pen.person(),
        province=slots["province"],
    )
    return finish(pen, ad, disguised, firm=True)
