"""Benign talk dense with the fraud vocabulary: questions, complaints, warnings, news, notices."""

from __future__ import annotations

from sandbox.content import vocab
from sandbox.content.compose import choose_style, fill
from sandbox.content.draft import TOPIC_REGISTERED, TOPIC_SAFETY, TOPIC_SPECIAL, Draft
from sandbox.content.pen import Pen
from sandbox.content.prices import certificate_fee

LABEL = "benign"

# Provincial departments (厅); city bureaus (局) sign notices.
AGENCIES = ("住房和城乡建设厅", "应急管理厅", "人力资源和社会保障厅")
CITY_BUREAUS = ("住房和城乡建设局", "应急管理局")
REPORT_CHANNELS = ("12345政务服务热线", "12350安全生产举报热线", "12377网络举报中心", "12315")
GOV_QUERY = "全国工程质量安全监管信息平台（zlaq.mohurd.gov.cn）"
TOPICS = (TOPIC_REGISTERED, TOPIC_SAFETY, TOPIC_SPECIAL)


def _slots(pen: Pen) -> dict[str, str]:
    short, full, spec, fees = pen.registered_cert()
    cert, cert_full = pen.special_cert()
    province, city = pen.place()
    return {
        "cert": short + spec,
        "full": full,
        "fee": certificate_fee(pen, fees),
        "special": cert,
        "special_full": cert_full,
        "exam": pen.pick(vocab.EXAMS),
        "province": province,
        "city": city,
        "abbr": vocab.PROVINCE_ABBR[province],
        "year": str(pen.between(2016, 2025)),
        "month": str(pen.between(1, 12)),
        "n": str(pen.between(12, 480)),
        "m": str(pen.between(2, 60)),
        "ban": str(pen.between(1, 3)),
        "money": str(pen.pick((1800, 2600, 3800, 4500, 6800, 9800, 12800))),
        "agency": pen.pick(AGENCIES),
        "bureau": pen.pick(CITY_BUREAUS),
        "channel": pen.pick(REPORT_CHANNELS),
        "gov": GOV_QUERY,
    }


def _draft(
    pen: Pen, kind: str, topic: str, title: str, lines: list[str], slots: dict[str, str], org: str
) -> Draft:
    return Draft(
        kind=kind,
        label=LABEL,
        title=title,
        lines=lines or [title],
        region=pen.region((slots["province"], slots["city"])),
        topic=topic,
        org=org,
        person=pen.nick(),
    )


# Upper bound on lines per writer style, so terse writers stay short.
STYLE_CAP = {"terse": 1, "individual": 3, "broker": 4, "verbose": 8}


def _lines(
    pen: Pen, pool: tuple[str, ...], slots: dict[str, str], low: int, high: int
) -> list[str]:
    high = max(low, min(high, STYLE_CAP[pen.style]))
    count = min(len(pool), pen.between(low, high))
    return [fill(pool[i], slots) for i in sorted(pen.rng.sample(range(len(pool)), count))]


QUESTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    TOPIC_REGISTERED: (
        (
            "挂证现在还能做吗？",
            "刚过的{cert}，有人找我挂证，靠谱吗",
            "{cert}转注要多久？",
            "单位让我把证挂过去但社保不在那边，会有问题吗",
            "听说{province}在查注册单位和社保不一致",
            "{exam}自学能过吗，求经验",
            "初始注册需要什么材料",
        ),
        (
            "本人{cert}，{year}年考过的，一直在{city}一家公司做施工员。",
            "最近好几个中介加我，说一年{fee}，不用去上班。",
            "可是看新闻说各地都在查挂证，社保、公积金都要比对，有点慌。",
            "现在公司不给注册，证书放着也是浪费。",
            "问了下人社局的朋友，说注册单位和社保单位不一致会被查。",
            "有没有懂行的说说现在什么情况？",
            "求大佬解答，谢谢。",
            "不想违法，只想问问正规途径怎么转到新单位。",
        ),
    ),
    TOPIC_SAFETY: (
        (
            "安全员C证网上查不到是怎么回事",
            "C证到期了怎么延期",
            "没有工地经验能报安全员吗",
            "安全员C证考试难不难",
            "有人说花钱就能拿C证，是真的吗",
        ),
        (
            "去年在一家机构报的名，说考完三个月出证。",
            "现在证书拿到了，但在住建平台上查不到编号。",
            "机构说系统还没同步，让我再等等。",
            "看到吧里有人说这种可能是假证，心里发毛。",
            "{province}这边报名需要单位盖章吗？",
            "先谢谢各位了。",
        ),
    ),
    TOPIC_SPECIAL: (
        (
            "电工证复审怎么弄",
            "焊工证在哪考，{city}的",
            "网上说的不用考试的{special}能用吗",
            "叉车证和特种作业证是一回事吗",
            "{special}考试实操考什么",
        ),
        (
            "在厂里干了几年{special}相关的活，一直没证。",
            "现在厂里要求持证上岗，想问问去哪报名。",
            "网上搜出来一堆说不用考试直接拿证的，感觉不靠谱。",
            "应急管理局的考点是不是只能本地报？",
            "复审要不要重新培训？",
            "谢谢回答的朋友。",
        ),
    ),
}


def question(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen)
    slots = _slots(pen)
    topic = pen.pick(TOPICS)
    titles, pool = QUESTIONS[topic]
    lines = _lines(pen, pool, slots, 0 if pen.style == "terse" else 1, 5)
    return _draft(pen, "question", topic, fill(pen.pick(titles), slots), lines, slots, "个人")


COMPLAINT_TITLES = (
    "被所谓包过班骗了{money}元",
    "{city}某机构说免考拿证，结果证书网上查不到",
    "曝光一个卖假证的，大家小心",
    "挂证一年钱没给，怎么维权",
    "交了定金说内部渠道，现在人联系不上了",
)
COMPLAINT_LINES = (
    "去年{month}月在网上看到广告，说{exam}包过，交了{money}元。",
    "考前一天发的所谓原题，一道都没对上。",
    "现在人找不到了，电话也打不通，微信把我拉黑了。",
    "拿到的{special}在官网上根本查不到，工地不让上岗。",
    "对方当时说官网可查、全国联网，全是骗人的。",
    "已经去派出所报了案，发出来提醒大家。",
    "有同样遭遇的可以一起去{channel}投诉。",
    "说到底还是自己贪便宜，想走捷径。",
)


def complaint(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen)
    slots = _slots(pen)
    lines = _lines(pen, COMPLAINT_LINES, slots, 1, 6)
    return _draft(
        pen,
        "complaint",
        pen.pick(TOPICS),
        fill(pen.pick(COMPLAINT_TITLES), slots),
        lines,
        slots,
        "个人",
    )


WARNING_TITLES = (
    "提醒：网上“不用考试、官网可查”的{special}都是假的",
    "【防骗】这些招聘广告其实是挂证陷阱",
    "别信“包过”“内部渠道”，说说我看到的套路",
    "仿冒的证书查询网站长这样，大家认准gov.cn",
    "关于“证书兼职”广告的风险提示",
)
WARNING_LINES = (
    "最近群里总有人发“{special}不用考试直接拿证，官网可查”这种广告。",
    "正规证书必须参加培训和考试，查询请认准{gov}。",
    "所谓官网很多是仿冒网站，域名不是gov.cn结尾的都要小心。",
    "“不用到岗、社保不限、年薪{fee}”这种证书兼职，本质就是挂证，查到要撤销注册。",
    "“包过”“免考”“不过退费”都是虚假宣传，钱交了基本要不回来。",
    "看到这类广告可以向{channel}举报。",
    "持假证上岗被查到，个人和用工单位都要受处罚。",
    "转给身边考证的朋友看看，别再上当了。",
)


def warning(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen)
    slots = _slots(pen)
    lines = _lines(pen, WARNING_LINES, slots, 1, 6)
    return _draft(
        pen,
        "warning",
        pen.pick(TOPICS),
        fill(pen.pick(WARNING_TITLES), slots),
        lines,
        slots,
        pen.pick(("个人", "防骗小组", "安全生产宣传")),
    )


# News reposts, grouped by story so a post's lines fit its headline.
NEWS_STORIES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        (
            "{province}通报{m}起工程建设领域“挂证”违法违规典型案例",
            "{province}{agency}：{n}名注册人员因“挂证”被撤销注册",
            "{province}启动新一轮“挂证”专项治理，比对社保和公积金",
        ),
        (
            "近日，{province}{agency}公布了一批工程建设领域专业技术人员违规“挂证”行为的查处结果。",
            "经比对注册信息与社保缴纳信息，共发现{n}名人员注册单位与社保缴纳单位不一致。",
            "涉事人员被依法撤销注册，{ban}年内不予注册；相关企业被记入不良信用记录。",
            "部分中介机构以“证书兼职”“人证分离”为名发布招聘信息，已移交有关部门查处。",
            "主管部门提醒，出租、出借注册证书属违法行为，请从业人员切勿参与“挂证”。",
            "下一步，{agency}将联合人社、公积金等部门开展常态化核查。",
        ),
    ),
    (
        (
            "{city}警方破获一起制售假特种作业操作证案，涉案证书{n}余本",
            "网购“不用考试”的{special}？{city}多名工人持假证上岗被查",
        ),
        (
            "警方查明，犯罪嫌疑人通过网络发布“不用考试、官网可查”的广告，向全国各地售卖伪造的{special}。",
            "购买者只需提供身份证照片和几百元费用，数日后即可收到假证。",
            "团伙还仿冒政府网站搭建证书查询平台，输入任意编号均显示“证书有效”。",
            "目前，{m}名犯罪嫌疑人已被依法采取刑事强制措施。",
            "证书真伪请通过{gov}查询，发现线索可拨打{channel}。",
            "用工单位未查验证书、默许持假证上岗的，也将被依法处罚。",
        ),
    ),
    (
        (
            "{city}一培训机构虚假宣传“包过”被罚",
            "{city}查处一起安全员考试替考案",
            "{province}开展安全生产资格证书涉假专项治理，曝光一批违规培训机构",
        ),
        (
            "涉事培训机构在网络上发布“包过”“免考”“不过退费”等宣传，被市场监管部门依法处罚。",
            "调查发现，该机构虚报学时，部分学员从未参加培训。",
            "考试机构在巡查中发现有人持他人身份证件参加考试，当场移交公安机关。",
            "主管部门提醒考生，不要轻信“内部渠道”“保证拿证”等说法。",
            "培训考试机构名单请以{agency}官方网站公布为准。",
        ),
    ),
)


def news(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.1, 0.2, 0.3, 0.4))
    slots = _slots(pen)
    slots["n"] = str(int(slots["n"]) // 10 * 10 + 10)  # "余" goes with round numbers
    titles, pool = pen.pick(NEWS_STORIES)
    lines = _lines(pen, pool, slots, 2, 6)
    return _draft(
        pen,
        "news",
        pen.pick(TOPICS),
        fill(pen.pick(titles), slots),
        lines,
        slots,
        pen.pick(("新闻转载", slots["city"] + "日报", "建设行业资讯")),
    )


NOTICE_TITLES = (
    "关于开展工程建设领域“挂证”问题专项排查的通知",
    "关于进一步加强特种作业操作证查验工作的通知",
    "关于公布安全生产资格证书查询渠道的公告",
    "{city}{bureau}关于严厉打击假冒证书查询网站的通告",
)
NOTICE_LINES = (
    "各县（市、区）住房城乡建设主管部门、人力资源社会保障部门：",
    "为维护建筑市场秩序，根据上级部门统一部署，决定在全市范围内开展专项排查。",
    "一、排查对象：本地区注册的建造师、监理工程师、造价工程师等各类注册人员及其注册单位。",
    "二、排查方式：比对注册信息、社保缴费信息和公积金缴存信息，对不一致人员逐一核实。",
    "三、对出租出借证书、注册单位与实际工作单位不符的，依法撤销注册并记入信用档案。",
    "四、对以职业介绍为名提供“挂证”信息的中介机构，移送有关部门依法查处。",
    "五、施工现场特种作业人员证书须逐一核验，证书真伪通过{gov}查询。",
    "六、不得轻信“免考”“速成”“包过”宣传，举报电话：{channel}。",
    "{city}{bureau}",
)


def notice(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.0, 0.0, 0.3, 0.7))
    slots = _slots(pen)
    # Notices keep their numbered order; only the middle sections vary.
    middle = _lines(pen, NOTICE_LINES[1:-1], slots, 3, 7)
    lines = [fill(NOTICE_LINES[0], slots), *middle, fill(NOTICE_LINES[-1], slots)]
    return _draft(
        pen,
        "notice",
        pen.pick(TOPICS),
        fill(pen.pick(NOTICE_TITLES), slots),
        lines,
        slots,
        slots["city"] + slots["bureau"],
    )
