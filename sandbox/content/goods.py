"""Benign marketplace goods: exam textbooks and used tools."""

from __future__ import annotations

from sandbox.content import vocab
from sandbox.content.compose import body, choose_style, fill
from sandbox.content.draft import TOPIC_REGISTERED, TOPIC_SPECIAL, Draft
from sandbox.content.pen import Pen
from sandbox.content.prices import goods_price

LABEL = "benign"

TEXTBOOK_TITLES = (
    "{year}版{exam}教材 全套{books}本 九成新",
    "出{exam}历年真题+教材，考过了用不上",
    "{exam}复习笔记 手写 便宜出",
    "{exam}教材，只用了一个月",
    "闲置{exam}{subject}教材，有少量笔记",
)
TEXTBOOK_LINES = (
    "去年买的正版，做了少量笔记，{books}本一起出，不拆卖。",
    "{exam}已经考过了，留着也没用，给需要的人。",
    "{city}同城可自提，外地包邮（偏远地区除外）。",
    "正版教材，不是复印的，书里夹着一张勘误表。",
    "真题是近五年的，答案解析都在后面。",
    "祝大家都能考过，自己好好看书比什么都强。",
)
TOOL_ITEMS = (
    ("二手电焊机", "逆变直流，220V"),
    ("数字万用表", "带表笔和包"),
    ("安全帽+反光背心", "共5套"),
    ("激光测距仪", "80米"),
    ("水准仪", "带三脚架和塔尺"),
    ("工地配电箱", "三级箱"),
    ("手持切割机", "无刷"),
    ("冲击钻", "带一盒钻头"),
    ("全身式安全带", "双大钩"),
    ("绝缘手套+绝缘靴", "10kV"),
)
TOOL_TITLES = (
    "{item} {condition}",
    "出{item}，{note}",
    "闲置{item} 便宜出",
    "{item}，工地撤场处理",
)
TOOL_LINES = (
    "自用，功能正常，{condition}。",
    "{note}，配件齐全。",
    "工程结束用不上了，搬家处理，只限{city}自提。",
    "不议价，诚心要的直接拍。",
    "有发票，过了保修期。",
)


def _goods(
    pen: Pen,
    kind: str,
    title: str,
    lines: list[str],
    price: str,
    topic: str,
    place: tuple[str, str],
) -> Draft:
    return Draft(
        kind=kind,
        label=LABEL,
        title=title,
        lines=lines or [title],
        price=price,
        contact=None,
        region=pen.region(place),
        topic=topic,
        org="个人",
        person=pen.nick(),
    )


def textbook(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.35, 0.45, 0.0, 0.2))
    place = pen.place()
    slots = {
        "exam": pen.pick(vocab.EXAMS),
        "year": pen.pick(("2025", "2026")),
        "city": place[1],
        "books": str(pen.between(3, 6)),
        "subject": pen.pick(("实务", "法规", "管理", "经济")),
    }
    return _goods(
        pen,
        "textbook",
        fill(pen.pick(TEXTBOOK_TITLES), slots),
        body(pen, TEXTBOOK_LINES, slots),
        goods_price(pen, 15, 260),
        TOPIC_REGISTERED,
        place,
    )


def used_goods(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.4, 0.45, 0.0, 0.15))
    place = pen.place()
    item, note = pen.pick(TOOL_ITEMS)
    slots = {
        "item": item,
        "note": note,
        "city": place[1],
        "condition": pen.pick(("九成新", "八成新", "几乎全新", "有使用痕迹")),
    }
    return _goods(
        pen,
        "used_goods",
        fill(pen.pick(TOOL_TITLES), slots),
        body(pen, TOOL_LINES, slots),
        goods_price(pen, 30, 1800),
        TOPIC_SPECIAL,
        place,
    )
