"""Exam and training fraud: 包过 classes, 免考 places, 代考, leaked "exam materials"."""

from __future__ import annotations

from sandbox.content import vocab
from sandbox.content.compose import Ad, body, choose_style, fill, finish
from sandbox.content.draft import TOPIC_REGISTERED, TOPIC_SAFETY, TOPIC_SPECIAL, Draft
from sandbox.content.pen import Pen
from sandbox.content.prices import goods_price, tuition

LABEL = "exam_fraud"

SUBJECTS = ("实务", "法规", "管理", "经济", "案例", "实操", "理论")


def _topic(exam: str) -> str:
    if exam.startswith("安全员"):
        return TOPIC_SAFETY
    if exam.endswith("证"):
        return TOPIC_SPECIAL
    return TOPIC_REGISTERED


def _slots(pen: Pen) -> dict[str, str]:
    province, city = pen.place()
    exam = pen.pick(vocab.EXAMS)
    return {
        "exam": exam,
        "exam2": pen.pick(vocab.EXAMS),
        "year": pen.pick(("2026", "2027")),
        "weeks": str(pen.between(1, 6)),
        "days": str(pen.between(2, 7)),
        "years": str(pen.between(3, 12)),
        "price": tuition(pen, 1800, 16800),
        "deposit": str(pen.pick((500, 1000, 2000, 3000))),
        "seats": str(pen.between(5, 30)),
        "rate": str(pen.pick((95, 98, 99, 100))),
        "subject": pen.pick(SUBJECTS),
        "province": province,
        "city": city,
        "school": city + pen.pick(vocab.FIRM_WORDS) + pen.pick(vocab.SCHOOL_SUFFIXES),
    }


BAOGUO_TITLES = (
    "{exam}包过班，不过退费",
    "{year}年{exam}速成，{weeks}周拿证",
    "{exam}考试内部渠道，保证拿证",
    "零基础{exam}包过，签协议",
    "{exam}免考名额，仅剩{seats}个",
    "{city}{exam}包过 {price}",
    "{exam}+{exam2}双证包过，不过退费",
)
BAOGUO_LINES = (
    "我们有内部渠道，考前{days}天给原题。",
    "零基础也能过，签正规协议，不过退费。",
    "不用上课，考试当天有老师在场外指导。",
    "{exam}免考：只需报名，考试我们来安排。",
    "速成班{weeks}周，保证拿证。",
    "费用：{price}，先交{deposit}定金，拿证后付尾款。",
    "往期学员通过率{rate}%，可以看学员反馈。",
    "名额紧张，每期只收{seats}人，报满即止。",
    "{subject}科目单独包过也可以，价格另算。",
    "工作忙没时间复习的首选，省心省力。",
)
BAOGUO_QUIET_TITLES = (
    "{exam}省心班，报名从速",
    "{exam}没时间看书的找我",
    "{year}{exam}，交给我们",
)
BAOGUO_QUIET_LINES = (
    "报名交钱，剩下的等通知就行。",
    "考场那边已经打过招呼。",
    "去年跟着我们的，没有一个空手回去的。",
    "没考下来，钱原路退回。",
    "书不用看，课也不用上，到时候人去一趟就行。",
    "全包价：{price}，分两次付。",
)


def baoguo(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.3, 0.15, 0.35, 0.2))
    slots = _slots(pen)
    quiet = disguised and pen.chance(0.3)
    titles, lines = (
        (BAOGUO_QUIET_TITLES, BAOGUO_QUIET_LINES) if quiet else (BAOGUO_TITLES, BAOGUO_LINES)
    )
    ad = Ad(
        kind="exam_baoguo",
        label=LABEL,
        title=fill(pen.pick(titles), slots),
        lines=body(pen, lines, slots),
        price=slots["price"],
        region=pen.region((slots["province"], slots["city"])),
        topic=_topic(slots["exam"]),
        org=slots["school"],
        person=pen.surname() + "老师",
        province=slots["province"],
    )
    return finish(
        pen, ad, disguised, firm=True, contact_lead=("报名咨询：", "招生老师：", "咨询", "联系：")
    )


PROXY_TITLES = (
    "{exam}代考，全程无忧",
    "{exam}远程协助考试，保分",
    "可代考{exam}，考场有人",
    "{exam}{subject}替考，考完付款",
    "{exam}机考协助，不过不收费",
)
PROXY_LINES = (
    "考生本人不用到场，我们安排专业人员代考。",
    "机考远程操作，考试软件有办法，监控看不出来。",
    "考完出分再付款，不过一分不收。",
    "{exam}{subject}科目单科{price}。",
    "身份证照片发过来，其他不用管。",
    "已经做了{years}年，从没出过事。",
)


def proxy(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.45, 0.3, 0.15, 0.1))
    slots = _slots(pen)
    ad = Ad(
        kind="exam_proxy",
        label=LABEL,
        title=fill(pen.pick(PROXY_TITLES), slots),
        lines=body(pen, PROXY_LINES, slots),
        price=slots["price"],
        region=pen.region((slots["province"], slots["city"])),
        topic=_topic(slots["exam"]),
        org="个人",
        person=pen.person(),
        province=slots["province"],
    )
    return finish(pen, ad, disguised)


LEAK_TITLES = (
    "{year}{exam}考前押题密卷，内部资料",
    "{exam}考试答案 考前发",
    "{exam}原题，命中率{rate}%",
    "{exam}{subject}押题三页纸 内部流出",
    "{exam}机考题库+答案 考前更新",
)
LEAK_LINES = (
    "考前一晚发，内部流出，不是网上那种。",
    "押题命中率{rate}%，不中退款。",
    "机考题库+答案，实操视频全套。",
    "拍下后私信发网盘链接，自动发货。",
    "去年买的人都过了，可以看评价。",
    "{exam2}的也有，需要的问。",
)


def leak(pen: Pen, disguised: bool) -> Draft:
    choose_style(pen, (0.4, 0.35, 0.15, 0.1))
    slots = _slots(pen)
    ad = Ad(
        kind="exam_leak",
        label=LABEL,
        title=fill(pen.pick(LEAK_TITLES), slots),
        lines=body(pen, LEAK_LINES, slots),
        price=goods_price(pen, 20, 880),
        region=pen.region((slots["province"], slots["city"])),
        topic=_topic(slots["exam"]),
        org="个人",
        person=pen.person(),
        province=slots["province"],
    )
    return finish(pen, ad, disguised)
