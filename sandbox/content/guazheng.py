"""挂证 ads: firms and brokers renting registered certificates, and holders offering theirs."""

from __future__ import annotations

from sandbox.content import vocab
from sandbox.content.compose import Ad, body, choose_style, fill, finish
from sandbox.content.draft import TOPIC_REGISTERED, Draft
from sandbox.content.pen import Pen
from sandbox.content.prices import certificate_fee

LABEL = "guazheng"

B_NOTES = ("有B证优先", "无B证也可", "需带B证", "B证可后补", "带安全B证加价")


def _slots(pen: Pen) -> dict[str, str]:
    short, full, spec, fees = pen.registered_cert()
    short2, full2, spec2, fees2 = pen.registered_cert()
    province, city = pen.place()
    return {
        "short": short,
        "full": full,
        "cert": short + spec,
        "full_spec": f"{full}（{spec}）" if spec else full,
        "price": certificate_fee(pen, fees),
        "short2": short2,
        "cert2": short2 + spec2,
        "price2": certificate_fee(pen, fees2),
        "status": pen.pick(vocab.REG_STATUS),
        "use": pen.pick(vocab.REG_USES),
        "province": province,
        "city": city,
        "b_note": pen.pick(B_NOTES),
        "n": str(pen.between(1, 5)),
        "years": str(pen.between(2, 3)),
        "age": str(pen.between(26, 58)),
        "year": str(pen.between(2012, 2025)),
        "firm_years": str(pen.between(3, 15)),
        "partners": str(pen.between(8, 90) * 10),
        "holders": str(pen.between(200, 3000)),
    }


OFFER_TITLES = (
    "高价收{cert} {status} 社保不限",
    "急聘{full_spec}，{status}，{use}",
    "{city}企业诚聘{cert}，{price}",
    "{cert}证书兼职，不用到岗",
    "长期收{cert}挂证，价格美丽",
    "招{cert}挂靠，{use}",
    "{full_spec} 挂证 {price}",
    "寻{cert}一名，{status}，可兼职",
    "{use}缺{cert}，挂证{price}",
    "{cert}+{cert2} 都要，社保不限",
)
OFFER_LINES = (
    "本公司因{use}需要，现寻{full_spec}{n}名。",
    "要求：{status}，{b_note}，社保不限。",
    "不用到岗，不用出场，不上项目，只用于{use}。",
    "挂证费用：{price}，签合同，一年一付。",
    "证书原件您自己留着，公司只要扫描件走注册流程。",
    "社保可以在我们这边交，也可以不交，看您方便。",
    "不投标，不押证，不出场，不承担任何项目责任。",
    "外省证书也收，需转注的我们负责办理。",
    "另收{cert2}（{price2}），电话详谈。",
    "合同{years}年，到期可续签，费用提前支付。",
    "人证分离，不影响您现在的工作和社保。",
    "非诚勿扰，中介勿扰，只和持证人本人对接。",
    "我们在{city}做了十几年工程，信誉有保障。",
)
OFFER_QUIET_TITLES = (
    "{city}公司寻{cert}合作，待遇从优",
    "有{cert}的朋友看过来",
    "{cert}一名 长期合作",
    "求一位{full}，{city}",
)
OFFER_QUIET_LINES = (
    "平时该干嘛干嘛，年底按时打一笔钱过来。",
    "你忙你的，我们只借用证上的名字备个案。",
    "平时不用来公司，年底一次结清。",
    "原单位那边不受影响，手续都由我们跑。",
    "按年结算：{price}，先合作{years}年。",
    "名额就一个，先联系先定。",
    "项目上不用你露面，也不用签字。",
)


def offer(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen)
    slots = _slots(pen)
    quiet = disguised and pen.chance(0.3)
    titles, lines = (
        (OFFER_QUIET_TITLES, OFFER_QUIET_LINES) if quiet else (OFFER_TITLES, OFFER_LINES)
    )
    province, city = slots["province"], slots["city"]
    ad = Ad(
        kind="guazheng_offer",
        label=LABEL,
        title=fill(pen.pick(titles), slots),
        lines=body(pen, lines, slots),
        price=slots["price"],
        region=pen.region((province, city)),
        topic=TOPIC_REGISTERED,
        org=pen.firm(city),
        person=pen.person(),
        province=province,
    )
    return finish(pen, ad, disguised, firm=True)


SEEK_TITLES = (
    "本人{cert}，{status}，寻单位挂证",
    "{full_spec}找单位，不去现场",
    "个人{cert}证书出租，社保自理",
    "有{cert}，求挂，价高者得",
    "{cert}{status}，求兼职",
    "{year}年{cert}，找个单位挂一下",
    "出{cert}，{b_note}",
)
SEEK_LINES = (
    "本人{age}岁，{cert}专业，{year}年取证，{status}。",
    "现在在{city}上班，单位用不上证，想找家公司挂证。",
    "要求不出场、不用于投标，社保不转。",
    "{b_note}，可用于{use}。",
    "心理价位：{price}，一年一付，先付款后注册。",
    "中介勿扰，只对接公司。",
    "中介也行，价格合适就挂。",
    "之前挂过两年，流程都熟，手续配合。",
    "证书在手上，随时可以发扫描件。",
)
SEEK_QUIET_TITLES = (
    "手上有个{cert}闲着，谁家公司需要",
    "{cert}本子一个，长期合作",
    "{full}，{city}，找合作单位",
)
SEEK_QUIET_LINES = (
    "本子放着也是放着，人不过去，每年意思一下就行。",
    "原单位离职了，现在在家带孩子，不方便上班。",
    "只要不让我签字担责任就行。",
    "按年算，{price}，可以签{years}年。",
    "{status}，资料随时发。",
)


def seek(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.3, 0.45, 0.05, 0.2))
    slots = _slots(pen)
    quiet = disguised and pen.chance(0.3)
    titles, lines = (SEEK_QUIET_TITLES, SEEK_QUIET_LINES) if quiet else (SEEK_TITLES, SEEK_LINES)
    province, city = slots["province"], slots["city"]
    ad = Ad(
        kind="guazheng_seek",
        label=LABEL,
        title=fill(pen.pick(titles), slots),
        lines=body(pen, lines, slots),
        price=slots["price"] if pen.chance(0.7) else "面议",
        region=pen.region((province, city)),
        topic=TOPIC_REGISTERED,
        org="个人",
        person=pen.person(),
        province=province,
    )
    return finish(pen, ad, disguised)


BROKER_TITLES = (
    "【{city}{firm_word}】常年收各类建造师证书，高价挂证",
    "建造师挂证/转注/增项一站式服务",
    "{year_now}年最新挂证价格表，{cert}{price}",
    "专业对接企业资质人员，人证分离，安全保密",
    "各类注册证书兼职，全国可挂",
    "{short}、{short2}、注安、三类人员 长期高价收",
)
BROKER_LINES = (
    "本公司专业从事建筑企业资质人员对接{firm_years}年，合作企业{partners}余家。",
    "常年收：一建、二建、一造、监理、注安、消防、三类人员。",
    "今日报价：{cert}{price}；{cert2}{price2}。",
    "流程：提供证书扫描件→签三方协议→注册→付款，全程线上。",
    "全程不用本人到场，不影响原单位工作。",
    "社保由合作企业代缴，人证分离不出问题。",
    "已有{holders}位持证人和我们长期合作，口碑可查。",
    "另代办资质新办、升级、延续、安许证。",
    "注册成功当天付款，绝不拖欠。",
    "转注、初始、重新注册都能做，{b_note}。",
)


def broker(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.15, 0.05, 0.55, 0.25))
    slots = _slots(pen)
    slots["firm_word"] = pen.pick(vocab.FIRM_WORDS)
    slots["year_now"] = "2026"
    province, city = slots["province"], slots["city"]
    ad = Ad(
        kind="guazheng_broker",
        label=LABEL,
        title=fill(pen.pick(BROKER_TITLES), slots),
        lines=body(pen, BROKER_LINES, slots, extra=1),
        price=slots["price"],
        region=pen.region((province, city)),
        topic=TOPIC_REGISTERED,
        org=pen.firm(city, vocab.BROKER_SUFFIXES),
        person=pen.person(),
        province=province,
    )
    return finish(
        pen,
        ad,
        disguised,
        firm=True,
        contact_lead=("咨询热线：", "联系人：", "24小时咨询 ", "加我详谈："),
    )
